package policies

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
)

// TablePermission grants privileges on one table within a scope to the web
// roles linked to it.
type TablePermission struct {
	bun.BaseModel `bun:"table:table_permission"`
	ID            string `bun:",pk,type:uuid"`
	Name          string
	Table         string `bun:"table_name"`
	Scope         PermissionScope
	Privileges    []Privilege `bun:",array"`
	RoleIDs       []string    `bun:"role_ids,array,scanonly"`
	// ParentID is the parent table's permission a PARENT permission follows.
	ParentID *string `bun:"parent_id,type:uuid"`
}

func (p *TablePermission) grants(priv Privilege) bool { return slices.Contains(p.Privileges, priv) }

// permissionSelect reads permissions with their role ids.
const permissionSelect = `SELECT tp.id, tp.name, tp.table_name, tp.scope, tp.privileges, tp.parent_id,
	ARRAY(SELECT tpr.web_role_id::text FROM table_permission_role tpr
		WHERE tpr.table_permission_id = tp.id ORDER BY tpr.web_role_id) AS role_ids
	FROM table_permission tp`

// WebRoleInput creates a web role.
type WebRoleInput struct {
	Name        string
	Description string
}

// TablePermissionInput creates (ID nil) or changes a table permission.
type TablePermissionInput struct {
	ID         *string
	Name       string
	Table      string
	Scope      PermissionScope
	Privileges []Privilege
	RoleIDs    []string
	ParentID   *string
}

// Admin administers web roles, role memberships and table permissions for
// the viewer in the context. Who may is itself a table permission: READ,
// CREATE, WRITE, DELETE on web_role and table_permission, which the
// Administrators role holds by default and cannot lose. Every change
// commits with a policy_version bump and a NOTIFY, and this instance
// reloads before the call returns, so the caller's next request sees it.
type Admin struct {
	DB     *bun.DB
	Policy *Enforcer
}

// change runs fn in a transaction that also announces the change, after
// locking the Administrators role so that concurrent changes cannot each
// leave "one administrator" and together none.
func (a *Admin) change(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	err := db.Tx(ctx, a.DB, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SELECT id FROM web_role WHERE key = ? FOR UPDATE", portal.RoleAdministrators); err != nil {
			return err
		}
		if err := fn(ctx, tx); err != nil {
			return err
		}
		return notify(ctx, tx)
	})
	if err != nil {
		return err
	}
	// The change is committed: a failed reload here must not report it as
	// failed (a retry would then conflict). The NOTIFY and the version
	// check bring this instance up to date anyway.
	if err := a.Policy.Reload(ctx); err != nil {
		a.Policy.logger.Error("reloading the policy after a change failed; the version check will catch up", "err", err)
	}
	return nil
}

// adminTables and adminPrivileges are what the Administrators role must
// keep, GLOBAL, so that somebody can still change roles and permissions.
var (
	adminTables     = []string{TableWebRole, TableTablePermission}
	adminPrivileges = []Privilege{Read, Create, Write, Delete}
)

// checkAdminsKeepControl refuses a change that leaves the Administrators
// role without a GLOBAL privilege it needs to administer permissions.
func checkAdminsKeepControl(ctx context.Context, tx bun.Tx) error {
	var missing []struct{ Tbl, Priv string }
	err := tx.NewRaw(`SELECT t.tbl, p.priv FROM unnest(?::text[]) t(tbl) CROSS JOIN unnest(?::text[]) p(priv)
		WHERE NOT EXISTS (SELECT 1 FROM table_permission tp
			JOIN table_permission_role tpr ON tpr.table_permission_id = tp.id
			JOIN web_role wr ON wr.id = tpr.web_role_id
			WHERE wr.key = ? AND tp.table_name = t.tbl AND tp.scope = 'GLOBAL' AND p.priv = ANY (tp.privileges))
		ORDER BY 1, 2 LIMIT 1`, textArray(adminTables), textArray(privStrings(adminPrivileges)), portal.RoleAdministrators).
		Scan(ctx, &missing)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return portal.Errorf(portal.ECONFLICT,
			"This change would leave the Administrators role without GLOBAL %s on %s, and nobody could change roles and permissions any more; keep a permission that grants it.",
			missing[0].Priv, missing[0].Tbl)
	}
	return nil
}

func privStrings(ps []Privilege) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

// textArray passes identifiers (table names, privileges, uuids: no commas,
// quotes or braces) as a PostgreSQL array literal.
func textArray(s []string) any { return "{" + strings.Join(s, ",") + "}" }

// WebRoles lists every web role by name.
// Returns EUNAUTHENTICATED/EFORBIDDEN without READ on web_role.
func (a *Admin) WebRoles(ctx context.Context) ([]*WebRole, error) {
	if err := a.Policy.Require(ctx, TableWebRole, Read); err != nil {
		return nil, err
	}
	var out []*WebRole
	err := a.DB.NewSelect().Model(&out).OrderExpr("lower(name)").Scan(ctx)
	return out, err
}

// WebRolesByID returns the roles with these ids in the same order, nil
// where there is none. Role names are not secret: whoever may see a
// permission or a contact may see the names of its roles.
func (a *Admin) WebRolesByID(ctx context.Context, ids []string) ([]*WebRole, error) {
	var rows []*WebRole
	if valid := db.ValidIDs(ids); len(valid) > 0 {
		if err := a.DB.NewSelect().Model(&rows).Where("id IN (?)", bun.List(valid)).Scan(ctx); err != nil {
			return nil, err
		}
	}
	return db.InOrder(ids, rows, func(r *WebRole) string { return r.ID }), nil
}

// CreateWebRole creates a role with no members and no permissions.
// Returns EINVALID for an empty name, ECONFLICT when the name is taken
// (case-insensitively), EUNAUTHENTICATED/EFORBIDDEN without CREATE on
// web_role.
func (a *Admin) CreateWebRole(ctx context.Context, in WebRoleInput) (*WebRole, error) {
	if err := a.Policy.Require(ctx, TableWebRole, Create); err != nil {
		return nil, err
	}
	r := &WebRole{Name: strings.TrimSpace(in.Name), Description: strings.TrimSpace(in.Description)}
	if r.Name == "" {
		return nil, portal.FieldErrorf("name", "A web role needs a name.")
	}
	if err := checkLength("name", r.Name, maxNameLength); err != nil {
		return nil, err
	}
	if err := checkLength("description", r.Description, maxDescriptionLength); err != nil {
		return nil, err
	}
	err := a.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		err := tx.NewRaw("INSERT INTO web_role (name, description) VALUES (?, ?) RETURNING id",
			r.Name, r.Description).Scan(ctx, &r.ID)
		if db.IsUniqueViolation(err, "web_role_name_key") {
			return &portal.Error{Code: portal.ECONFLICT, Field: "name",
				Message: fmt.Sprintf("A web role named %q already exists; names are unique regardless of case.", r.Name)}
		}
		if err != nil {
			return err
		}
		return audit(ctx, tx, ActionRoleCreated, "web_role", r.ID, map[string]any{"name": r.Name})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// DeleteWebRole deletes a role that is not built in, with its memberships
// and its links to permissions (the permissions stay).
// Returns ENOTFOUND, ECONFLICT for a built-in role,
// EUNAUTHENTICATED/EFORBIDDEN without DELETE on web_role.
func (a *Admin) DeleteWebRole(ctx context.Context, id string) error {
	if err := a.Policy.Require(ctx, TableWebRole, Delete); err != nil {
		return err
	}
	return a.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := roleForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.BuiltIn {
			return portal.Errorf(portal.ECONFLICT, "Web role %q is built in and cannot be deleted; change its permissions instead.", r.Name)
		}
		if _, err = tx.ExecContext(ctx, "DELETE FROM web_role WHERE id = ?", id); err != nil {
			return err
		}
		return audit(ctx, tx, ActionRoleDeleted, "web_role", id, map[string]any{"name": r.Name})
	})
}

func roleForUpdate(ctx context.Context, tx bun.Tx, id string) (*WebRole, error) {
	r := &WebRole{}
	if !db.ValidID(id) {
		return nil, portal.Errorf(portal.ENOTFOUND, "Web role %s does not exist.", id)
	}
	err := tx.NewSelect().Model(r).Where("id = ?", id).For("UPDATE").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, portal.Errorf(portal.ENOTFOUND, "Web role %s does not exist.", id)
	}
	return r, err
}

// readableContact checks that the viewer may read the contact: one it may
// not read is reported as missing.
func (a *Admin) readableContact(ctx context.Context, tx bun.IDB, contactID string) error {
	s := a.Policy.ReadScope(ctx, TableContact)
	where, args := s.Where(ContactColumns("c"))
	var ok bool
	if db.ValidID(contactID) {
		err := tx.NewRaw("SELECT EXISTS (SELECT 1 FROM contact c WHERE c.id = ? AND "+where+")",
			append([]any{contactID}, args...)...).Scan(ctx, &ok)
		if err != nil {
			return err
		}
	}
	if !ok {
		return portal.Errorf(portal.ENOTFOUND, "Contact not found: it does not exist, or your roles do not allow reading it.")
	}
	return nil
}

// AssignWebRole gives a contact a role; assigning twice is harmless.
// Returns ENOTFOUND for a contact the viewer cannot read or a missing
// role, EINVALID for the implicit roles (Authenticated users, Anonymous
// users), EUNAUTHENTICATED/EFORBIDDEN without WRITE on web_role.
func (a *Admin) AssignWebRole(ctx context.Context, contactID, roleID string) error {
	return a.membership(ctx, contactID, roleID, true)
}

// UnassignWebRole takes a role from a contact; a role it does not hold is
// harmless. Returns what AssignWebRole returns, and ECONFLICT when the
// contact is the last enabled member of Administrators.
func (a *Admin) UnassignWebRole(ctx context.Context, contactID, roleID string) error {
	return a.membership(ctx, contactID, roleID, false)
}

func (a *Admin) membership(ctx context.Context, contactID, roleID string, assign bool) error {
	if err := a.Policy.Require(ctx, TableWebRole, Write); err != nil {
		return err
	}
	return a.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := a.readableContact(ctx, tx, contactID); err != nil {
			return err
		}
		r, err := roleForUpdate(ctx, tx, roleID)
		if err != nil {
			return err
		}
		if key := deref(r.Key); key == portal.RoleAuthenticatedUsers || key == portal.RoleAnonymousUsers {
			return portal.FieldErrorf("roleId", "Nobody is assigned %q: every signed-in contact holds Authenticated users and every visitor Anonymous users.", r.Name)
		}
		detail := map[string]any{"role": r.Name, "roleId": r.ID}
		if assign {
			res, err := tx.ExecContext(ctx, "INSERT INTO contact_web_role (contact_id, web_role_id) VALUES (?, ?) ON CONFLICT DO NOTHING", contactID, roleID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil // held it already: nothing changed
			}
			return audit(ctx, tx, ActionRoleAssigned, "contact", contactID, detail)
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM contact_web_role WHERE contact_id = ? AND web_role_id = ?", contactID, roleID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			if err := audit(ctx, tx, ActionRoleUnassigned, "contact", contactID, detail); err != nil {
				return err
			}
		}
		if deref(r.Key) != portal.RoleAdministrators {
			return nil
		}
		return AdminsRemain(ctx, tx)
	})
}

// AdminsRemain refuses (ECONFLICT) a change, made in tx, that leaves no
// administrator who can sign in: an enabled member of Administrators with a
// password. It locks the Administrators role first, so two concurrent
// changes (two administrators disabling each other) are decided one after
// the other, the second seeing the first. Every change that can remove an
// administrator calls it in its own transaction: unassigning the role,
// disabling a contact.
func AdminsRemain(ctx context.Context, tx bun.IDB) error {
	if _, err := tx.ExecContext(ctx, "SELECT id FROM web_role WHERE key = ? FOR UPDATE", portal.RoleAdministrators); err != nil {
		return err
	}
	var left int
	err := tx.NewRaw(`SELECT count(*) FROM contact_web_role cwr
		JOIN web_role wr ON wr.id = cwr.web_role_id AND wr.key = ?
		JOIN contact c ON c.id = cwr.contact_id
		WHERE NOT c.disabled AND c.password_hash IS NOT NULL`, portal.RoleAdministrators).Scan(ctx, &left)
	if err == nil && left == 0 {
		return portal.Errorf(portal.ECONFLICT, "This is the last administrator who can sign in; make another contact an administrator (and let it sign in) first, or nobody could administer the portal.")
	}
	return err
}

// RolesChanged announces, in tx, a change of role memberships made outside
// Admin (an invitation's roles granted on redemption), so every instance's
// policy, and explainPermission, see it.
func RolesChanged(ctx context.Context, tx bun.IDB) error { return notify(ctx, tx) }

// TablePermissions lists every table permission by table and name.
// Returns EUNAUTHENTICATED/EFORBIDDEN without READ on table_permission.
func (a *Admin) TablePermissions(ctx context.Context) ([]*TablePermission, error) {
	if err := a.Policy.Require(ctx, TableTablePermission, Read); err != nil {
		return nil, err
	}
	out := []*TablePermission{}
	err := a.DB.NewRaw(permissionSelect+" ORDER BY tp.table_name, lower(tp.name)").Scan(ctx, &out)
	return out, err
}

// TablePermissionsByID returns the permissions with these ids in the same
// order; nil where there is none or the viewer may not read permissions.
func (a *Admin) TablePermissionsByID(ctx context.Context, ids []string) ([]*TablePermission, error) {
	var rows []*TablePermission
	if valid := db.ValidIDs(ids); len(valid) > 0 && !a.Policy.ReadScope(ctx, TableTablePermission).None() {
		if err := a.DB.NewRaw(permissionSelect+" WHERE tp.id IN (?)", bun.List(valid)).Scan(ctx, &rows); err != nil {
			return nil, err
		}
	}
	return db.InOrder(ids, rows, func(p *TablePermission) string { return p.ID }), nil
}

// SaveTablePermission creates a permission (no ID) or changes one. The
// scope must suit the table (Tables), PARENT needs a parent permission on
// the table's parent table, and every role must exist.
// Returns EINVALID naming the field at fault (nothing changes), ENOTFOUND
// for an unknown ID, ECONFLICT for a taken name, a table change under
// child permissions, or a change that would leave Administrators unable
// to administer permissions; EUNAUTHENTICATED/EFORBIDDEN without CREATE
// (new) or WRITE (existing) on table_permission.
func (a *Admin) SaveTablePermission(ctx context.Context, in TablePermissionInput) (*TablePermission, error) {
	priv := Create
	if in.ID != nil {
		priv = Write
	}
	if err := a.Policy.Require(ctx, TableTablePermission, priv); err != nil {
		return nil, err
	}
	p, err := validatePermission(in)
	if err != nil {
		return nil, err
	}
	err = a.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := checkPermissionRefs(ctx, tx, p); err != nil {
			return err
		}
		if in.ID != nil {
			var old TablePermission
			err := tx.NewSelect().Model(&old).Column("id", "table_name").Where("id = ?", p.ID).For("UPDATE").Scan(ctx)
			if errors.Is(err, sql.ErrNoRows) || !db.ValidID(p.ID) {
				return portal.Errorf(portal.ENOTFOUND, "Table permission %s does not exist.", p.ID)
			}
			if err != nil {
				return err
			}
			if old.Table != p.Table {
				var children []string
				if err := tx.NewRaw("SELECT name FROM table_permission WHERE parent_id = ? ORDER BY name", p.ID).Scan(ctx, &children); err != nil {
					return err
				}
				if len(children) > 0 {
					return &portal.Error{Code: portal.ECONFLICT, Field: "table", Message: fmt.Sprintf(
						"Permissions %s follow this one as their parent; its table cannot change while they do.", quoteAll(children))}
				}
			}
			_, err = tx.ExecContext(ctx, `UPDATE table_permission SET name = ?, table_name = ?, scope = ?, privileges = ?,
				parent_id = ?, updated_at = now() WHERE id = ?`,
				p.Name, p.Table, p.Scope, textArray(privStrings(p.Privileges)), p.ParentID, p.ID)
			if err != nil {
				return nameConflict(err, p.Name)
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM table_permission_role WHERE table_permission_id = ?", p.ID); err != nil {
				return err
			}
		} else {
			err := tx.NewRaw(`INSERT INTO table_permission (name, table_name, scope, privileges, parent_id)
				VALUES (?, ?, ?, ?, ?) RETURNING id`,
				p.Name, p.Table, p.Scope, textArray(privStrings(p.Privileges)), p.ParentID).Scan(ctx, &p.ID)
			if err != nil {
				return nameConflict(err, p.Name)
			}
		}
		if len(p.RoleIDs) > 0 {
			_, err := tx.ExecContext(ctx, `INSERT INTO table_permission_role (table_permission_id, web_role_id)
				SELECT ?, unnest(?::uuid[])`, p.ID, textArray(p.RoleIDs))
			if err != nil {
				return err
			}
		}
		if err := audit(ctx, tx, ActionPermissionSaved, "table_permission", p.ID, map[string]any{"name": p.Name, "table": p.Table,
			"scope": p.Scope, "privileges": p.Privileges, "roleIds": p.RoleIDs, "parentId": p.ParentID}); err != nil {
			return err
		}
		return checkAdminsKeepControl(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func nameConflict(err error, name string) error {
	if db.IsUniqueViolation(err, "table_permission_name_key") {
		return &portal.Error{Code: portal.ECONFLICT, Field: "name",
			Message: fmt.Sprintf("A table permission named %q already exists; names are unique regardless of case.", name)}
	}
	return err
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// Length limits of role and permission names and descriptions: names are
// in unique indexes, which refuse a value of some kilobytes as an internal
// error; these are the caller's to fix.
const (
	maxNameLength        = 200
	maxDescriptionLength = 2000
)

func checkLength(field, value string, max int) error {
	if n := utf8.RuneCountInString(value); n > max {
		return portal.FieldErrorf(field, "This is %d characters long; at most %d fit.", n, max)
	}
	return nil
}

// validatePermission checks what needs no database and normalises.
func validatePermission(in TablePermissionInput) (*TablePermission, error) {
	p := &TablePermission{Name: strings.TrimSpace(in.Name), Table: strings.ToLower(strings.TrimSpace(in.Table)), Scope: in.Scope}
	if in.ID != nil {
		p.ID = *in.ID
	}
	if p.Name == "" {
		return nil, portal.FieldErrorf("name", "A table permission needs a name.")
	}
	if err := checkLength("name", p.Name, maxNameLength); err != nil {
		return nil, err
	}
	info, ok := Tables[p.Table]
	if !ok {
		return nil, portal.FieldErrorf("table", "Permissions do not govern table %q; use one of %s.", in.Table, strings.Join(tableNames(), ", "))
	}
	if !slices.Contains(info.Scopes, p.Scope) {
		return nil, portal.FieldErrorf("scope", "Scope %s does not apply to %s; use %s.", p.Scope, p.Table, joinScopes(info.Scopes))
	}
	for i, pr := range in.Privileges {
		if !slices.Contains(Privileges, pr) {
			return nil, portal.FieldErrorf(fmt.Sprintf("privileges[%d]", i), "Unknown privilege %q.", pr)
		}
		if !slices.Contains(p.Privileges, pr) {
			p.Privileges = append(p.Privileges, pr)
		}
	}
	if len(p.Privileges) == 0 {
		return nil, portal.FieldErrorf("privileges", "Choose at least one privilege; to grant nothing, delete the permission.")
	}
	// Contract order, so a saved permission reads the same however it was
	// entered.
	slices.SortFunc(p.Privileges, func(a, b Privilege) int {
		return slices.Index(Privileges, a) - slices.Index(Privileges, b)
	})
	for i, id := range in.RoleIDs {
		if !db.ValidID(id) {
			return nil, portal.FieldErrorf(fmt.Sprintf("roleIds[%d]", i), "This web role does not exist.")
		}
		id = db.CanonicalID(id) // one role, however its id is spelled
		if !slices.Contains(p.RoleIDs, id) {
			p.RoleIDs = append(p.RoleIDs, id)
		}
	}
	p.RoleIDs = append([]string{}, p.RoleIDs...)
	switch {
	case p.Scope == Parent && (in.ParentID == nil || *in.ParentID == ""):
		return nil, portal.FieldErrorf("parentId", "A PARENT permission on %s needs a parent permission on %s.", p.Table, info.Parent)
	case p.Scope != Parent && in.ParentID != nil && *in.ParentID != "":
		return nil, portal.FieldErrorf("parentId", "Only a PARENT permission has a parent; leave parentId out for scope %s.", p.Scope)
	case p.Scope == Parent:
		p.ParentID = in.ParentID
		if !db.ValidID(*p.ParentID) || db.SameID(*p.ParentID, p.ID) {
			return nil, portal.FieldErrorf("parentId", "Parent permission %s does not exist.", *p.ParentID)
		}
	}
	return p, nil
}

// checkPermissionRefs checks the roles and parent exist.
func checkPermissionRefs(ctx context.Context, tx bun.Tx, p *TablePermission) error {
	if len(p.RoleIDs) > 0 {
		var found []string
		if err := tx.NewRaw("SELECT id::text FROM web_role WHERE id IN (?)", bun.List(p.RoleIDs)).Scan(ctx, &found); err != nil {
			return err
		}
		for i, id := range p.RoleIDs {
			if !slices.Contains(found, id) {
				return portal.FieldErrorf(fmt.Sprintf("roleIds[%d]", i), "Web role %s does not exist.", id)
			}
		}
	}
	if p.ParentID != nil {
		var parent TablePermission
		err := tx.NewSelect().Model(&parent).Where("id = ?", *p.ParentID).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return portal.FieldErrorf("parentId", "Parent permission %s does not exist.", *p.ParentID)
		}
		if err != nil {
			return err
		}
		if want := Tables[p.Table].Parent; parent.Table != want {
			return portal.FieldErrorf("parentId", "Parent permission %q is on %s; a PARENT permission on %s follows a permission on %s.",
				parent.Name, parent.Table, p.Table, want)
		}
	}
	return nil
}

func tableNames() []string {
	var names []string
	for t := range Tables {
		names = append(names, t)
	}
	slices.Sort(names)
	return names
}

func joinScopes(ss []PermissionScope) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	if len(out) == 1 {
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " or " + out[len(out)-1]
}

// DeleteTablePermission deletes a permission and its role links.
// Returns ENOTFOUND, ECONFLICT while PARENT permissions follow it or when
// Administrators would lose control of permissions,
// EUNAUTHENTICATED/EFORBIDDEN without DELETE on table_permission.
func (a *Admin) DeleteTablePermission(ctx context.Context, id string) error {
	if err := a.Policy.Require(ctx, TableTablePermission, Delete); err != nil {
		return err
	}
	return a.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		var name string
		if db.ValidID(id) {
			err := tx.NewRaw("SELECT name FROM table_permission WHERE id = ? FOR UPDATE", id).Scan(ctx, &name)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if name == "" {
			return portal.Errorf(portal.ENOTFOUND, "Table permission %s does not exist.", id)
		}
		var children []string
		if err := tx.NewRaw("SELECT name FROM table_permission WHERE parent_id = ? ORDER BY name", id).Scan(ctx, &children); err != nil {
			return err
		}
		if len(children) > 0 {
			return portal.Errorf(portal.ECONFLICT, "Permissions %s follow %q as their parent; delete or change them first.", quoteAll(children), name)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM table_permission WHERE id = ?", id); err != nil {
			return err
		}
		if err := audit(ctx, tx, ActionPermissionDeleted, "table_permission", id, map[string]any{"name": name}); err != nil {
			return err
		}
		return checkAdminsKeepControl(ctx, tx)
	})
}
