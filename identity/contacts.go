package identity

import (
	"context"
	"strings"

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/paging"
	"github.com/openportal/portal/policies"
)

// ContactFilter selects a page of contacts.
type ContactFilter struct {
	// AccountID limits the list to one customer account's contacts.
	AccountID *string
	// Search matches first name, last name or email, case-insensitively.
	Search *string
	// RoleID limits the list to the members of one web role; it needs
	// the ReadRoles decision (EFORBIDDEN otherwise).
	RoleID *string
	paging.Args
}

// Contacts returns a page of contacts ordered by last name, first name.
// Returns EINVALID for a bad page size or cursor.
func (s *Service) Contacts(ctx context.Context, f ContactFilter) (paging.Page[*Contact], error) {
	var page paging.Page[*Contact]
	var aLast, aFirst, aID string
	limit, hasAfter, err := f.Start(&aLast, &aFirst, &aID)
	if err != nil {
		return page, err
	}
	if hasAfter && !db.ValidID(aID) {
		return page, paging.ErrBadCursor(f.Args)
	}
	if f.RoleID != nil {
		if err := s.Policy.RequireDecision(ctx, policies.ReadRoles); err != nil {
			return page, err
		}
	}
	scope := s.Policy.ReadScope(ctx, policies.TableContact)
	if scope.None() {
		return paging.Page[*Contact]{Items: []*Contact{}}, nil
	}
	w, args := scope.Where(policies.ContactColumns("c"))
	where := []string{w}
	if f.AccountID != nil {
		if !db.ValidID(*f.AccountID) {
			return paging.Page[*Contact]{Items: []*Contact{}}, nil
		}
		where = append(where, "c.customer_account_id = ?")
		args = append(args, *f.AccountID)
	}
	if f.RoleID != nil {
		if !db.ValidID(*f.RoleID) {
			return paging.Page[*Contact]{Items: []*Contact{}}, nil
		}
		where = append(where, "EXISTS (SELECT 1 FROM contact_web_role cwr WHERE cwr.contact_id = c.id AND cwr.web_role_id = ?)")
		args = append(args, *f.RoleID)
	}
	if f.Search != nil && strings.TrimSpace(*f.Search) != "" {
		where = append(where, "(c.first_name || ' ' || c.last_name || ' ' || c.email) ILIKE ?")
		args = append(args, "%"+db.EscapeLike(strings.TrimSpace(*f.Search))+"%")
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.DB.NewRaw("SELECT count(*) FROM contact c WHERE "+cond, args...).Scan(ctx, &total); err != nil {
		return page, err
	}
	q := contactSelect + " WHERE " + cond
	if hasAfter {
		q += " AND (lower(c.last_name), lower(c.first_name), c.id) > (?, ?, ?)"
		args = append(args, aLast, aFirst, aID)
	}
	q += " ORDER BY lower(c.last_name), lower(c.first_name), c.id LIMIT ?"
	args = append(args, limit+1)
	var rows []*Contact
	if err := s.DB.NewRaw(q, args...).Scan(ctx, &rows); err != nil {
		return page, err
	}
	return paging.Trim(rows, limit, func(c *Contact) string {
		return paging.Cursor(strings.ToLower(c.LastName), strings.ToLower(c.FirstName), c.ID)
	}, total), nil
}
