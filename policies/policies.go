// Package policies decides what a viewer may do to which table and, for
// reads, which rows: the one enforcement point that every domain service asks
// before it touches portal data.
//
// This first version holds DESIGN §4's default permissions in Go, keyed by
// built-in role; companies, products and price lists are readable by
// everyone. The Casbin model with web roles and table permissions stored in
// PostgreSQL (the permissions issue) replaces the rules inside Scope
// without changing its callers: Require for "may this viewer do this at
// all", Scope for "on which rows", which stores turn into SQL.
package policies

import (
	"context"
	"slices"
	"strings"

	portal "github.com/openportal/portal"
)

// Privilege is a table permission privilege, as in Power Pages.
type Privilege string

// The privileges.
const (
	Read     Privilege = "READ"
	Create   Privilege = "CREATE"
	Write    Privilege = "WRITE"
	Delete   Privilege = "DELETE"
	Append   Privilege = "APPEND"
	AppendTo Privilege = "APPEND_TO"
)

// Tables that permissions govern.
const (
	TableLegalEntity     = "legal_entity"
	TableCustomerAccount = "customer_account"
	TableProduct         = "product"
	TablePriceList       = "price_list"
	TableContact         = "contact"
	TableSalesOrder      = "sales_order"
	TableSalesOrderLine  = "sales_order_line"
)

// Enforcer answers permission questions for the viewer in a context.
type Enforcer struct{}

// grant is one default table permission: a scope and its privileges.
type grant struct {
	scope string // GLOBAL, ACCOUNT, CONTACT, SELF, PARENT
	privs []Privilege
}

var allPrivileges = []Privilege{Read, Create, Write, Delete, Append, AppendTo}

// defaults is DESIGN §4's table of default permissions by built-in role
// key. Until the table permissions are data (the permissions issue), they
// are the rules; then they become the seed.
var defaults = map[string]map[string][]grant{
	portal.RoleAdministrators: {
		TableSalesOrder: {{"GLOBAL", allPrivileges}}, TableSalesOrderLine: {{"GLOBAL", allPrivileges}},
		TableContact: {{"GLOBAL", allPrivileges}}, TableCustomerAccount: {{"GLOBAL", allPrivileges}},
		TableProduct: {{"GLOBAL", allPrivileges}}, TablePriceList: {{"GLOBAL", allPrivileges}},
		TableLegalEntity: {{"GLOBAL", allPrivileges}},
	},
	portal.RoleCustomerRepresentative: {
		TableSalesOrder: {{"ACCOUNT", []Privilege{Read}}}, TableSalesOrderLine: {{"PARENT", []Privilege{Read}}},
		TableContact: {{"ACCOUNT", []Privilege{Read}}}, TableCustomerAccount: {{"ACCOUNT", []Privilege{Read}}},
		TableProduct: {{"GLOBAL", []Privilege{Read}}}, TablePriceList: {{"GLOBAL", []Privilege{Read}}},
	},
	portal.RoleAuthorizedUser: {
		TableSalesOrder:      {{"CONTACT", []Privilege{Read, Create, Write, AppendTo}}},
		TableSalesOrderLine:  {{"PARENT", []Privilege{Read, Create, Write, Delete, Append}}},
		TableContact:         {{"SELF", []Privilege{Read}}},
		TableCustomerAccount: {{"ACCOUNT", []Privilege{Read}}},
		TableProduct:         {{"GLOBAL", []Privilege{Read}}}, TablePriceList: {{"GLOBAL", []Privilege{Read}}},
	},
}

// parentTable is the table a PARENT-scoped permission on a table follows.
var parentTable = map[string]string{TableSalesOrderLine: TableSalesOrder}

// Scope returns the rows of table on which the viewer of ctx may exercise
// priv: the union over the viewer's roles. Legal entities, products and
// price lists stay readable by everyone until the permissions issue makes
// them data, so the public catalog keeps working.
func (e *Enforcer) Scope(ctx context.Context, table string, priv Privilege) Scope {
	v := portal.ViewerFrom(ctx)
	var s Scope
	if priv == Read && isCatalog(table) && table != TableCustomerAccount {
		s.All = true
	}
	for _, key := range v.RoleKeys {
		for _, g := range defaults[key][table] {
			if !slices.Contains(g.privs, priv) {
				continue
			}
			switch g.scope {
			case "GLOBAL":
				s.All = true
			case "ACCOUNT":
				if v.CustomerAccount != "" {
					s.AccountID = v.CustomerAccount
				}
			case "CONTACT", "SELF":
				if !v.Anonymous() {
					s.ContactID = v.ContactID
				}
			case "PARENT":
				// The parent permission's rows: whatever the viewer may
				// read in the parent table.
				p := e.Scope(ctx, parentTable[table], Read)
				if !p.None() {
					s.Parent = s.Parent.union(p)
				}
			}
		}
	}
	return s
}

// ReadScope is Scope(ctx, table, Read).
func (e *Enforcer) ReadScope(ctx context.Context, table string) Scope {
	return e.Scope(ctx, table, Read)
}

// Require returns nil when the viewer of ctx may exercise priv on at least
// some rows of table, EUNAUTHENTICATED for an anonymous viewer who may not,
// and EFORBIDDEN for a signed-in viewer who may not. Row-level checks use
// Scope.
func (e *Enforcer) Require(ctx context.Context, table string, priv Privilege) error {
	if !e.Scope(ctx, table, priv).None() {
		return nil
	}
	if portal.ViewerFrom(ctx).Anonymous() {
		return portal.Errorf(portal.EUNAUTHENTICATED, "Sign in to %s %s records.", strings.ToLower(string(priv)), table)
	}
	return portal.Errorf(portal.EFORBIDDEN, "Your roles do not allow %s on %s records; ask an administrator.", priv, table)
}

func isCatalog(table string) bool {
	switch table {
	case TableLegalEntity, TableCustomerAccount, TableProduct, TablePriceList:
		return true
	}
	return false
}

// Scope is which rows of a table a viewer may reach with a privilege. The
// zero Scope reaches no row. Stores turn it into a SQL condition, so rows
// out of scope are never loaded.
type Scope struct {
	// All reaches every row (GLOBAL).
	All bool
	// ContactID, when set, reaches the viewer's own contact row (SELF) or
	// the rows its contact owns, e.g. orders it placed (CONTACT).
	ContactID string
	// AccountID, when set, reaches the rows of the viewer's customer
	// account (ACCOUNT).
	AccountID string
	// Parent, when set, reaches rows whose parent row (a line's order, an
	// address's account) lies in this scope of the parent table (PARENT).
	Parent *Scope
}

// None reports whether the scope reaches no row at all.
func (s Scope) None() bool {
	return !s.All && s.ContactID == "" && s.AccountID == "" && s.Parent == nil
}

// Row is who owns a row, for checking a row already loaded.
type Row struct {
	ContactID string
	AccountID string
}

// Allows reports whether a row owned as r is in scope; a row reached only
// through its parent is checked with Parent.Allows on the parent's owner.
func (s Scope) Allows(r Row) bool {
	return s.All || (s.ContactID != "" && s.ContactID == r.ContactID) ||
		(s.AccountID != "" && s.AccountID == r.AccountID)
}

func (s *Scope) union(o Scope) *Scope {
	if s == nil {
		return &o
	}
	u := *s
	u.All = u.All || o.All
	if o.ContactID != "" {
		u.ContactID = o.ContactID
	}
	if o.AccountID != "" {
		u.AccountID = o.AccountID
	}
	return &u
}
