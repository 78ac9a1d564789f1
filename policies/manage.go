package policies

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
)

// PermissionTable is a table permissions govern, as the permission editor
// offers it: its name and the scopes that suit it.
type PermissionTable struct {
	Name   string
	Noun   string
	Scopes []PermissionScope
	// Parent is the table a PARENT permission follows; nil when none.
	Parent *string
}

// TableAccess is what a contact may do to one table, one decision per
// privilege (in the order of Privileges).
type TableAccess struct {
	Table     *PermissionTable
	Decisions []*PermissionDecision
}

// PermissionTables lists the tables permissions govern, by name.
// Returns EUNAUTHENTICATED/EFORBIDDEN without READ on table_permission.
func (a *Admin) PermissionTables(ctx context.Context) ([]*PermissionTable, error) {
	if err := a.Policy.Require(ctx, TableTablePermission, Read); err != nil {
		return nil, err
	}
	return permissionTables(), nil
}

func permissionTables() []*PermissionTable {
	var out []*PermissionTable
	for _, name := range tableNames() {
		info := Tables[name]
		t := &PermissionTable{Name: name, Noun: info.Noun, Scopes: info.Scopes}
		if info.Parent != "" {
			parent := info.Parent
			t.Parent = &parent
		}
		out = append(out, t)
	}
	return out
}

// Access decides, for every table and privilege, what the contact may do,
// as Explain decides one: the permission explorer's overview.
// Returns what Explain returns.
func (a *Admin) Access(ctx context.Context, contactID string) ([]*TableAccess, error) {
	if err := a.Policy.Require(ctx, TableTablePermission, Read); err != nil {
		return nil, err
	}
	c, err := a.explainee(ctx, contactID)
	if err != nil {
		return nil, err
	}
	var out []*TableAccess
	for _, t := range permissionTables() {
		ta := &TableAccess{Table: t}
		for _, priv := range Privileges {
			d, err := a.explain(ctx, c, t.Name, Tables[t.Name], priv, nil)
			if err != nil {
				return nil, err
			}
			ta.Decisions = append(ta.Decisions, d)
		}
		out = append(out, ta)
	}
	return out, nil
}

// UpdateWebRole renames a role or changes its description. Built-in roles
// keep their names: code and the site's templates refer to them.
// Returns EINVALID for an empty name, ENOTFOUND, ECONFLICT (field name) for
// a taken name or a built-in role's new name, EUNAUTHENTICATED/EFORBIDDEN
// without WRITE on web_role.
func (a *Admin) UpdateWebRole(ctx context.Context, id string, in WebRoleInput) (*WebRole, error) {
	if err := a.Policy.Require(ctx, TableWebRole, Write); err != nil {
		return nil, err
	}
	name, desc := strings.TrimSpace(in.Name), strings.TrimSpace(in.Description)
	if name == "" {
		return nil, portal.FieldErrorf("name", "A web role needs a name.")
	}
	if err := checkLength("name", name, maxNameLength); err != nil {
		return nil, err
	}
	if err := checkLength("description", desc, maxDescriptionLength); err != nil {
		return nil, err
	}
	var r *WebRole
	err := a.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if r, err = roleForUpdate(ctx, tx, id); err != nil {
			return err
		}
		if r.BuiltIn && r.Name != name {
			return &portal.Error{Code: portal.ECONFLICT, Field: "name",
				Message: fmt.Sprintf("Web role %q is built in and keeps its name; you may change its description.", r.Name)}
		}
		_, err = tx.ExecContext(ctx, "UPDATE web_role SET name = ?, description = ? WHERE id = ?", name, desc, id)
		if db.IsUniqueViolation(err, "web_role_name_key") {
			return &portal.Error{Code: portal.ECONFLICT, Field: "name",
				Message: fmt.Sprintf("A web role named %q already exists; names are unique regardless of case.", name)}
		}
		if err != nil {
			return err
		}
		detail := map[string]any{"name": name, "description": desc}
		if r.Name != name {
			detail["oldName"] = r.Name
		}
		r.Name, r.Description = name, desc
		return audit(ctx, tx, ActionRoleUpdated, "web_role", id, detail)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Audit actions of role and permission changes: who gave whom which
// rights is what an administrator asks the audit log first.
const (
	ActionRoleCreated       = "web_role.created"
	ActionRoleUpdated       = "web_role.updated"
	ActionRoleDeleted       = "web_role.deleted"
	ActionRoleAssigned      = "web_role.assigned"
	ActionRoleUnassigned    = "web_role.unassigned"
	ActionPermissionSaved   = "table_permission.saved"
	ActionPermissionDeleted = "table_permission.deleted"
)

// audit records a change in its own transaction, as the viewer of ctx.
// An actor that is no contact (the system, a test's made-up viewer) is
// recorded as none.
func audit(ctx context.Context, tx bun.IDB, action, subjectType, subjectID string, detail map[string]any) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	var actor *string
	if id := portal.ViewerFrom(ctx).ContactID; db.ValidID(id) {
		actor = &id
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (actor_id, action, subject_type, subject_id, client_ip, detail)
		VALUES ((SELECT id FROM contact WHERE id = ?), ?, ?, ?, ?, ?)`, actor, action, subjectType, subjectID, portal.ClientIP(ctx), string(b))
	return err
}
