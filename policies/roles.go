package policies

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
)

// WebRole is a role that contacts hold; table permissions are granted to
// roles. Built-in roles have a Key that code refers to.
type WebRole struct {
	bun.BaseModel `bun:"table:web_role"`
	ID            string  `bun:",pk,type:uuid"`
	Key           *string `bun:"key"`
	Name          string
	Description   string
	BuiltIn       bool
	CreatedAt     time.Time
}

// Roles reads web roles and role memberships, and assigns built-in roles.
// What a viewer reads is decided by Policy: every role and membership
// with ReadRoles, else only its own roles.
type Roles struct {
	DB     *bun.DB
	Policy *Enforcer
}

// readable keeps the roles the viewer of ctx may read.
func (r *Roles) readable(ctx context.Context, rows []*WebRole) []*WebRole {
	if r.Policy.May(ctx, ReadRoles) {
		return rows
	}
	out := rows[:0]
	for _, row := range rows {
		if r.Policy.Holds(ctx, row.ID) {
			out = append(out, row)
		}
	}
	return out
}

// ByKey returns the built-in roles with these keys, in the same order,
// leaving out those the viewer may not read.
func (r *Roles) ByKey(ctx context.Context, keys ...string) ([]*WebRole, error) {
	var rows []*WebRole
	if err := r.DB.NewSelect().Model(&rows).Where("key IN (?)", bun.List(keys)).Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]*WebRole, 0, len(keys))
	for _, k := range keys {
		for _, row := range rows {
			if row.Key != nil && *row.Key == k {
				out = append(out, row)
			}
		}
	}
	return r.readable(ctx, out), nil
}

// OfContacts returns the roles assigned to each contact, by name, in the
// order of contactIDs: for every contact with ReadRoles, else for the
// contacts the viewer may read (a representative sees which colleagues may
// order, as the Account page shows; a contact with SELF read sees its own).
// Others get none.
func (r *Roles) OfContacts(ctx context.Context, contactIDs []string) ([][]*WebRole, error) {
	var rows []struct {
		ContactID string
		WebRole
	}
	valid := db.ValidIDs(contactIDs)
	where, args := "TRUE", []any(nil)
	if !r.Policy.May(ctx, ReadRoles) {
		scope := r.Policy.Scope(ctx, TableContact, Read)
		if scope.None() {
			valid = nil
		}
		where, args = scope.Where(ContactColumns("c"))
	}
	if len(valid) > 0 {
		err := r.DB.NewRaw(`SELECT cwr.contact_id, wr.* FROM contact_web_role cwr
			JOIN web_role wr ON wr.id = cwr.web_role_id
			JOIN contact c ON c.id = cwr.contact_id
			WHERE cwr.contact_id IN (?) AND (`+where+`) ORDER BY wr.name`, append([]any{bun.List(valid)}, args...)...).Scan(ctx, &rows)
		if err != nil {
			return nil, err
		}
	}
	byContact := map[string][]*WebRole{}
	for i := range rows {
		byContact[rows[i].ContactID] = append(byContact[rows[i].ContactID], &rows[i].WebRole)
	}
	out := make([][]*WebRole, len(contactIDs))
	for i, id := range contactIDs {
		out[i] = byContact[id]
		if out[i] == nil {
			out[i] = []*WebRole{}
		}
	}
	return out, nil
}

// Assign gives a contact the built-in role with this key, in the caller's
// transaction, and announces the change to every instance's enforcer;
// assigning twice is harmless. The viewer needs AssignRoles: callers are
// the administrator bootstrap and demo data, acting as Operator;
// administrators use Admin.AssignWebRole.
func (r *Roles) Assign(ctx context.Context, idb bun.IDB, contactID, key string) error {
	if err := r.Policy.RequireDecision(ctx, AssignRoles); err != nil {
		return err
	}
	_, err := idb.ExecContext(ctx, `INSERT INTO contact_web_role (contact_id, web_role_id)
		SELECT ?, id FROM web_role WHERE key = ? ON CONFLICT DO NOTHING`, contactID, key)
	if err != nil {
		return err
	}
	return notify(ctx, idb)
}

// OfViewer returns the roles viewer v acts with (Anonymous users for a
// visitor), by name. They are v's own, so they are not filtered: a viewer
// in an answer is always the one who asked, or the session it has just
// opened (signIn, redeemInvitation), whose ctx is still the visitor's.
func (r *Roles) OfViewer(ctx context.Context, v *portal.Viewer) ([]*WebRole, error) {
	rows := []*WebRole{}
	q := r.DB.NewSelect().Model(&rows).Order("name")
	if v.Anonymous() {
		q = q.Where("key = ?", portal.RoleAnonymousUsers)
	} else if valid := db.ValidIDs(v.RoleIDs); len(valid) > 0 {
		q = q.Where("id IN (?)", bun.List(valid))
	} else {
		return rows, nil
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	return rows, nil
}

// ByIDs returns the roles with these ids, by name; unknown ids and roles
// the viewer may not read are skipped.
func (r *Roles) ByIDs(ctx context.Context, ids []string) ([]*WebRole, error) {
	rows := []*WebRole{}
	if valid := db.ValidIDs(ids); len(valid) > 0 {
		if err := r.DB.NewSelect().Model(&rows).Where("id IN (?)", bun.List(valid)).Order("name").Scan(ctx); err != nil {
			return nil, err
		}
	}
	return r.readable(ctx, rows), nil
}
