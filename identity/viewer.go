package identity

import (
	"context"
	"database/sql"
	"errors"

	portal "github.com/openportal/portal"
)

// ViewerFor builds the viewer that a signed-in contact's requests act as:
// its company, account, effective price list and every role it holds,
// Authenticated users included. It reads as the system, not as a viewer.
// Returns ENOTFOUND when the contact does not exist or is disabled.
func (s *Service) ViewerFor(ctx context.Context, contactID string) (*portal.Viewer, error) {
	var row struct {
		ID                string
		LegalEntityID     sql.NullString
		CustomerAccountID sql.NullString
		PriceListID       sql.NullString
		RoleIDs           []string `bun:"role_ids,array"`
		RoleKeys          []string `bun:"role_keys,array"`
	}
	err := s.DB.NewRaw(`
		SELECT c.id, c.legal_entity_id, c.customer_account_id,
			COALESCE(c.price_list_id, a.price_list_id) AS price_list_id,
			ARRAY(SELECT wr.id::text FROM web_role wr WHERE wr.key = 'authenticated_users'
				OR wr.id IN (SELECT web_role_id FROM contact_web_role WHERE contact_id = c.id) ORDER BY wr.id) AS role_ids,
			ARRAY(SELECT wr.key FROM web_role wr WHERE wr.key IS NOT NULL AND (wr.key = 'authenticated_users'
				OR wr.id IN (SELECT web_role_id FROM contact_web_role WHERE contact_id = c.id)) ORDER BY wr.key) AS role_keys
		FROM contact c LEFT JOIN customer_account a ON a.id = c.customer_account_id
		WHERE c.id = ? AND NOT c.disabled`, contactID).Scan(ctx, &row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, portal.Errorf(portal.ENOTFOUND, "Contact %s does not exist or is disabled.", contactID)
	}
	if err != nil {
		return nil, err
	}
	return &portal.Viewer{
		ContactID:       row.ID,
		LegalEntityID:   row.LegalEntityID.String,
		CustomerAccount: row.CustomerAccountID.String,
		PriceListID:     row.PriceListID.String,
		RoleIDs:         row.RoleIDs,
		RoleKeys:        row.RoleKeys,
	}, nil
}
