package identity

import (
	"context"

	"github.com/uptrace/bun"
)

// EventContactUpserted is the outbox event type for a created or changed
// contact (DESIGN §7).
const EventContactUpserted = "contact.upserted"

// recordContactEvent writes, in the transaction that changed the contact,
// what the ERP sync will send: the contact as the ERP knows it, by company
// and account number. The contact's syncState stays NOT_SENT until a worker
// delivers the event (the ERP sync issue).
func recordContactEvent(ctx context.Context, tx bun.IDB, contactID string) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO outbox_event (type, aggregate_id, payload)
		SELECT ?, c.id, jsonb_build_object(
			'id', c.id, 'firstName', c.first_name, 'lastName', c.last_name, 'email', c.email,
			'company', le.code, 'accountNumber', a.account_number,
			'priceListCode', pl.code, 'currency', c.currency, 'shipToCountry', c.ship_to_country,
			'language', c.language, 'disabled', c.disabled)
		FROM contact c
		LEFT JOIN legal_entity le ON le.id = c.legal_entity_id
		LEFT JOIN customer_account a ON a.id = c.customer_account_id
		LEFT JOIN price_list pl ON pl.id = c.price_list_id
		WHERE c.id = ?`, EventContactUpserted, contactID)
	return err
}
