package policies

import (
	"context"
	"errors"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	"github.com/uptrace/bun"
)

// adapter loads Casbin's policy from Portal's tables (no casbin-bun adapter
// exists). It only loads: permissions change through Admin, which keeps
// the rules about them (built-in roles, the last administrator), bumps
// policy_version and notifies every instance; writing through Casbin's
// management API would bypass all of that.
type adapter struct {
	ctx context.Context
	db  bun.IDB
	// What LoadPolicy read, beyond Casbin's lines: names for Explain and
	// the API.
	roles []*WebRole
	perms []*TablePermission
}

var errReadOnly = errors.New("policies: the Casbin policy is read-only; change permissions through policies.Admin")

// LoadPolicy adds one p line per (permission, role, privilege) and one g
// line per role membership.
func (a *adapter) LoadPolicy(m model.Model) error {
	if err := a.db.NewSelect().Model(&a.roles).Order("name").Scan(a.ctx); err != nil {
		return err
	}
	if err := a.db.NewRaw(permissionSelect+" ORDER BY lower(tp.name)").Scan(a.ctx, &a.perms); err != nil {
		return err
	}
	for _, p := range a.perms {
		parent := ""
		if p.ParentID != nil {
			parent = *p.ParentID
		}
		for _, role := range p.RoleIDs {
			for _, priv := range p.Privileges {
				rule := []string{"p", role, p.Table, string(priv), string(p.Scope), p.ID, parent}
				if err := persist.LoadPolicyArray(rule, m); err != nil {
					return err
				}
			}
		}
	}
	var members []struct{ ContactID, WebRoleID string }
	if err := a.db.NewRaw("SELECT contact_id, web_role_id FROM contact_web_role").Scan(a.ctx, &members); err != nil {
		return err
	}
	for _, mb := range members {
		if err := persist.LoadPolicyArray([]string{"g", mb.ContactID, mb.WebRoleID}, m); err != nil {
			return err
		}
	}
	return nil
}

func (a *adapter) SavePolicy(model.Model) error                              { return errReadOnly }
func (a *adapter) AddPolicy(string, string, []string) error                  { return errReadOnly }
func (a *adapter) RemovePolicy(string, string, []string) error               { return errReadOnly }
func (a *adapter) RemoveFilteredPolicy(string, string, int, ...string) error { return errReadOnly }
