package identity

import (
	"context"
	"encoding/json"

	"github.com/uptrace/bun"

	"github.com/openportal/portal/outbox"
)

// EventContactUpserted is the outbox event type for a created or changed
// contact (package dualwrite documents the protocol).
const EventContactUpserted = outbox.ContactUpserted

// recordContactEvent records, in the transaction that changed the contact,
// what the ERP sync sends: the contact as the ERP knows it, by company and
// account number. The contact is PENDING until the event is delivered.
func recordContactEvent(ctx context.Context, tx bun.IDB, contactID string) error {
	if _, err := tx.ExecContext(ctx, "UPDATE contact SET sync_state = 'PENDING' WHERE id = ?", contactID); err != nil {
		return err
	}
	var data string
	err := tx.NewRaw(`
		SELECT jsonb_build_object(
			'id', c.id, 'firstName', c.first_name, 'lastName', c.last_name, 'email', c.email,
			'company', le.code, 'accountNumber', a.account_number,
			'priceListCode', pl.code, 'currency', c.currency, 'shipToCountry', c.ship_to_country,
			'language', c.language, 'disabled', c.disabled)
		FROM contact c
		LEFT JOIN legal_entity le ON le.id = c.legal_entity_id
		LEFT JOIN customer_account a ON a.id = c.customer_account_id
		LEFT JOIN price_list pl ON pl.id = c.price_list_id
		WHERE c.id = ?`, contactID).Scan(ctx, &data)
	if err != nil {
		return err
	}
	_, err = outbox.Enqueue(ctx, tx, outbox.Event{Type: EventContactUpserted, AggregateID: contactID, Data: json.RawMessage(data)})
	return err
}
