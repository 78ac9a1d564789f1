package policies

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
)

// PermissionDecision answers "may this contact do this": whether it may,
// the permissions that grant it, and a sentence saying why (not).
type PermissionDecision struct {
	Privilege   Privilege
	Allowed     bool
	GrantedBy   []*TablePermission
	Explanation string
}

// rowInfo is how Explain finds and names a row of a table: its columns for
// Scope.Where under alias t, and an expression naming it.
type rowInfo struct {
	cols  Columns
	label string
}

var rowInfos = map[string]rowInfo{
	TableSalesOrder:      {OrderColumns("t"), "t.number"},
	TableSalesOrderLine:  {LineColumns("t"), "(SELECT o.number FROM sales_order o WHERE o.id = t.sales_order_id) || ' line ' || t.line_number"},
	TableContact:         {ContactColumns("t"), "t.email"},
	TableCustomerAccount: {AccountColumns("t"), "t.account_number"},
	TableDeliveryAddress: {AddressColumns("t"), "t.description"},
	TableProduct:         {Columns{}, "t.number"},
	TablePriceList:       {Columns{}, "t.code"},
	TableLegalEntity:     {Columns{}, "t.code"},
	TableWebRole:         {Columns{}, "t.name"},
	TableTablePermission: {Columns{}, "t.name"},
}

// Explain says whether the contact may exercise priv on table (on the row
// with recordID when given), which permissions grant it, and why, e.g.
// "Authorized user grants READ on sales_order in CONTACT scope, but order
// WEB-000123 was placed by another contact." It judges the contact as its
// next request would be judged: its assigned roles plus Authenticated
// users, under the policy in force.
// Returns EINVALID for an unknown table or privilege, or a row check on a
// table without rows here; ENOTFOUND for a contact the viewer cannot read;
// EUNAUTHENTICATED/EFORBIDDEN without READ on table_permission.
func (a *Admin) Explain(ctx context.Context, contactID, table string, priv Privilege, recordID *string) (*PermissionDecision, error) {
	if err := a.Policy.Require(ctx, TableTablePermission, Read); err != nil {
		return nil, err
	}
	table = strings.ToLower(strings.TrimSpace(table))
	info, ok := Tables[table]
	if !ok {
		return nil, portal.FieldErrorf("table", "Permissions do not govern table %q; use one of %s.", table, strings.Join(tableNames(), ", "))
	}
	if !slices.Contains(Privileges, priv) {
		return nil, portal.FieldErrorf("privilege", "Unknown privilege %q.", priv)
	}
	c, err := a.explainee(ctx, contactID)
	if err != nil {
		return nil, err
	}
	return a.explain(ctx, c, table, info, priv, recordID)
}

// explainee is the contact Explain judges.
type explainee struct {
	ID                string
	Email             string
	CustomerAccountID sql.NullString
	Disabled          bool
}

// explainee reads the contact Explain judges: ENOTFOUND for one the viewer
// cannot read.
func (a *Admin) explainee(ctx context.Context, contactID string) (*explainee, error) {
	if err := a.readableContact(ctx, a.DB, contactID); err != nil {
		return nil, err
	}
	c := &explainee{}
	if err := a.DB.NewRaw("SELECT id, email, customer_account_id, disabled FROM contact WHERE id = ?", contactID).Scan(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// explain is Explain once its arguments are checked and the contact read.
func (a *Admin) explain(ctx context.Context, c *explainee, table string, info TableInfo, priv Privilege, recordID *string) (*PermissionDecision, error) {
	contactID := c.ID
	s := a.Policy.current()
	if s == nil {
		return nil, errors.New("policies: no policy loaded")
	}
	v := &portal.Viewer{ContactID: contactID, CustomerAccount: c.CustomerAccountID.String}
	subs := s.subjects(v)
	d := &PermissionDecision{Privilege: priv, GrantedBy: []*TablePermission{}}
	if c.Disabled {
		d.Explanation = fmt.Sprintf("%s is disabled and cannot sign in, so it can do nothing.", c.Email)
		return d, nil
	}

	// The permissions that grant priv on table to one of the contact's
	// roles, and which of its roles hold each.
	var grants []*TablePermission
	holders := map[string][]string{}
	roles := s.subjectList(v)
	for _, r := range s.rules[ruleKey{table, priv}] {
		if subs[r.role] && s.lineAllowed(r.role, table, priv, r.perm) {
			if !slices.Contains(grants, r.perm) {
				grants = append(grants, r.perm)
			}
			holders[r.perm.ID] = appendUnique(holders[r.perm.ID], s.roleName(r.role))
		}
	}
	if len(grants) == 0 {
		var others []string
		for _, r := range s.rules[ruleKey{table, priv}] {
			others = appendUnique(others, s.roleName(r.role))
		}
		var mine []string
		for id := range subs {
			if _, ok := s.roles[id]; ok {
				mine = appendUnique(mine, s.roleName(id))
			}
		}
		slices.Sort(mine)
		slices.Sort(others)
		d.Explanation = fmt.Sprintf("No role of %s grants %s on %s; its roles are %s.", c.Email, priv, table, strings.Join(mine, ", "))
		if len(others) > 0 {
			d.Explanation += fmt.Sprintf(" %s on %s is granted to %s.", priv, table, strings.Join(others, ", "))
		}
		return d, nil
	}

	var label string
	ri, rowsKnown := rowInfos[table]
	if recordID != nil {
		if !rowsKnown {
			return nil, portal.FieldErrorf("recordId", "Row checks are not available for %s; leave recordId out.", table)
		}
		if db.ValidID(*recordID) {
			// Only a row the asking administrator may read gets a label:
			// otherwise explainPermission would tell whether ids of other
			// accounts exist.
			where, args := a.Policy.ReadScope(ctx, table).Where(ri.cols)
			err := a.DB.NewRaw("SELECT "+ri.label+" FROM "+table+" t WHERE t.id = ? AND "+where,
				append([]any{*recordID}, args...)...).Scan(ctx, &label)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return nil, err
			}
		}
		if label == "" {
			d.Explanation = fmt.Sprintf("No %s has id %s.", info.Noun, *recordID)
			return d, nil
		}
	}
	var yes, no []string
	for _, p := range grants {
		who := strings.Join(holders[p.ID], " and ")
		grant := fmt.Sprintf("%s grants %s on %s in %s scope (permission %q)", who, priv, table, p.Scope, p.Name)
		sc := s.permScope(roles, p, priv, v)
		reached := !sc.None()
		if reached && recordID != nil {
			where, args := sc.Where(ri.cols)
			if err := a.DB.NewRaw("SELECT EXISTS (SELECT 1 FROM "+table+" t WHERE t.id = ? AND "+where+")",
				append([]any{*recordID}, args...)...).Scan(ctx, &reached); err != nil {
				return nil, err
			}
		}
		if reached {
			d.GrantedBy = append(d.GrantedBy, p)
			yes = append(yes, grant)
			continue
		}
		no = append(no, grant+", but "+s.missingLink(v, p, info, label, c.Email))
	}
	d.Allowed = len(d.GrantedBy) > 0
	if d.Allowed {
		d.Explanation = strings.Join(yes, "; ") + "."
		if label != "" {
			d.Explanation = fmt.Sprintf("Allowed on %s %s: %s", info.Noun, label, d.Explanation)
		}
	} else {
		d.Explanation = strings.Join(no, "; ") + "."
	}
	return d, nil
}

// lineAllowed asks the model whether role's line of permission p grants
// priv on table: a model that narrows the matcher can refuse a line the
// policy holds.
func (s *snapshot) lineAllowed(role, table string, priv Privilege, p *TablePermission) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.allows([]string{role}, table, priv, p.Scope, deref(p.ParentID), p.ID)
}

// permScope is the rows permission p reaches with priv for the viewer, as
// the model decides it (with the invoice account, as decide adds it).
func (s *snapshot) permScope(roles []string, p *TablePermission, priv Privilege, v *portal.Viewer) Scope {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.reach(roles, p.Table, priv, p.ID, 0)
	if g != nil && !g.all && p.Scope == Account && p.Table == TableCustomerAccount &&
		s.allows(roles, p.Table, priv, scopeInvoiceAccount, "", p.ID) {
		g.invoice = true
	}
	return g.scope(v)
}

// missingLink says why permission p does not reach the row (label) or any
// row (label "") for the contact.
func (s *snapshot) missingLink(v *portal.Viewer, p *TablePermission, info TableInfo, label, email string) string {
	row := info.Noun + " " + label
	switch p.Scope {
	case Account:
		if v.CustomerAccount == "" {
			return email + " has no customer account"
		}
		return row + " belongs to another customer account"
	case Contact:
		return row + " was placed by another contact"
	case Self:
		return row + " is not " + email + " itself"
	case Parent:
		parent := s.perms[deref(p.ParentID)]
		if parent == nil {
			return "its parent permission is missing"
		}
		if !parent.grants(Read) {
			return fmt.Sprintf("its parent permission %q does not grant READ", parent.Name)
		}
		if label == "" {
			return fmt.Sprintf("the parent permission %q reaches no %s for %s", parent.Name, Tables[parent.Table].Noun, email)
		}
		return fmt.Sprintf("the %s of %s is not reached by the parent permission %q", Tables[parent.Table].Noun, row, parent.Name)
	}
	return "it reaches no row"
}

func (s *snapshot) roleName(id string) string {
	if r, ok := s.roles[id]; ok {
		return r.Name
	}
	return id
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
