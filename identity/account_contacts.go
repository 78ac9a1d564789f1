package identity

import (
	"context"
	"strings"

	"github.com/uptrace/bun"

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/paging"
	"github.com/openportal/portal/policies"
)

// AccountContacts returns, for each account id in order, the first page of
// its contacts that the viewer may read (limit rows, ordered as Contacts
// orders them), in two queries whatever the number of accounts: a list of
// accounts (or of contacts with their account) asks for every account's
// contacts at once. Later pages go through Contacts, with their cursor.
func (s *Service) AccountContacts(ctx context.Context, accountIDs []string, limit int) ([]paging.Page[*Contact], error) {
	pages := make([]paging.Page[*Contact], len(accountIDs))
	for i := range pages {
		pages[i].Items = []*Contact{}
	}
	scope := s.Policy.ReadScope(ctx, policies.TableContact)
	valid := db.ValidIDs(accountIDs)
	if scope.None() || len(valid) == 0 {
		return pages, nil
	}
	w, args := scope.Where(policies.ContactColumns("c"))
	args = append(args, bun.List(valid), limit+1)
	var ranked []struct {
		ID      string
		Account string
		Total   int
	}
	// The window ranks each account's readable contacts; only the first
	// limit+1 of each (one more tells whether a next page exists) come back.
	err := s.DB.NewRaw(`SELECT id, account, total FROM (
		SELECT c.id, c.customer_account_id AS account,
			count(*) OVER (PARTITION BY c.customer_account_id) AS total,
			row_number() OVER (PARTITION BY c.customer_account_id
				ORDER BY lower(c.last_name), lower(c.first_name), c.id) AS rn
		FROM contact c
		WHERE `+w+` AND c.customer_account_id IN (?)) ranked
		WHERE rn <= ? ORDER BY account, rn`, args...).Scan(ctx, &ranked)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(ranked))
	for i, r := range ranked {
		ids[i] = r.ID
	}
	contacts, err := s.ContactsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	rows := map[string][]*Contact{}
	totals := map[string]int{}
	for i, r := range ranked {
		if contacts[i] != nil {
			rows[r.Account] = append(rows[r.Account], contacts[i])
		}
		totals[r.Account] = r.Total
	}
	for i, id := range accountIDs {
		if rs, ok := rows[id]; ok {
			pages[i] = paging.Trim(rs, limit, func(c *Contact) string {
				return paging.Cursor(strings.ToLower(c.LastName), strings.ToLower(c.FirstName), c.ID)
			}, totals[id])
		}
	}
	return pages, nil
}
