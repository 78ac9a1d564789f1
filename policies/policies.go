// Package policies decides what a viewer may do to which table and, for
// reads, which rows: the one enforcement point that every domain service asks
// before it touches portal data.
//
// Web roles and table permissions are data (tables web_role,
// contact_web_role, table_permission, table_permission_role), loaded into a
// Casbin enforcer (model.conf) that every instance keeps in memory and
// reloads when an administrator changes them (see Enforcer). Services ask
// Require for "may this viewer do this at all" and Scope for "on which
// rows", and turn the Scope into SQL with Scope.Where, so rows out of scope
// are never loaded; the Casbin model's matcher makes both decisions. Rules
// that are not "which rows" are named Decisions (May, RequireDecision), so
// no service tests a scope or a role itself. Admin holds the administration of roles and
// permissions, and Explain says why a contact may or may not do something.
package policies

import (
	"context"
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
	Append   Privilege = "APPEND"    // may attach this row to another (a line to an order)
	AppendTo Privilege = "APPEND_TO" // others may be attached to this row (an order gets lines)
)

// Privileges lists every privilege in the contract's order.
var Privileges = []Privilege{Read, Create, Write, Delete, Append, AppendTo}

// PermissionScope is which rows a table permission reaches.
type PermissionScope string

// The scopes, as in Power Pages.
const (
	Global  PermissionScope = "GLOBAL"  // every row
	Account PermissionScope = "ACCOUNT" // rows of the viewer's customer account
	Contact PermissionScope = "CONTACT" // rows the viewer's contact owns (orders it placed)
	Self    PermissionScope = "SELF"    // the viewer's own contact row
	Parent  PermissionScope = "PARENT"  // rows whose parent row a parent permission reaches
)

// Tables that permissions govern. The administration tables (roles,
// permissions, invitations, templates, pages) are governed like data, so
// "who administers" is the Administrators role's permissions, not code.
const (
	TableLegalEntity     = "legal_entity"
	TableCustomerAccount = "customer_account"
	TableDeliveryAddress = "delivery_address"
	TableProduct         = "product"
	TablePriceList       = "price_list"
	TableContact         = "contact"
	TableSalesOrder      = "sales_order"
	TableSalesOrderLine  = "sales_order_line"
	TableWebRole         = "web_role"
	TableTablePermission = "table_permission"
	TableInvitation      = "invitation"
	TableAuditLog        = "audit_log"
	TableWebTemplate     = "web_template"
	TablePageTemplate    = "page_template"
	TableWebPage         = "web_page"
	TableContentSnippet  = "content_snippet"
	TableSiteSetting     = "site_setting"
)

// TableInfo is what permissions may say about one table.
type TableInfo struct {
	// Scopes are those that make sense for the table's rows.
	Scopes []PermissionScope
	// Parent is the table a PARENT permission follows ("" when none).
	Parent string
	// Noun names a row in sentences ("order", "contact").
	Noun string
}

// Tables are the tables permissions govern, by name.
var Tables = map[string]TableInfo{
	TableLegalEntity:     {Scopes: []PermissionScope{Global}, Noun: "company"},
	TableCustomerAccount: {Scopes: []PermissionScope{Global, Account}, Noun: "customer account"},
	TableDeliveryAddress: {Scopes: []PermissionScope{Global, Parent}, Parent: TableCustomerAccount, Noun: "delivery address"},
	TableProduct:         {Scopes: []PermissionScope{Global}, Noun: "product"},
	TablePriceList:       {Scopes: []PermissionScope{Global}, Noun: "price list"},
	TableContact:         {Scopes: []PermissionScope{Global, Account, Self}, Noun: "contact"},
	TableSalesOrder:      {Scopes: []PermissionScope{Global, Account, Contact}, Noun: "order"},
	TableSalesOrderLine:  {Scopes: []PermissionScope{Global, Parent}, Parent: TableSalesOrder, Noun: "order line"},
	TableWebRole:         {Scopes: []PermissionScope{Global}, Noun: "web role"},
	TableTablePermission: {Scopes: []PermissionScope{Global}, Noun: "table permission"},
	TableInvitation:      {Scopes: []PermissionScope{Global}, Noun: "invitation"},
	TableAuditLog:        {Scopes: []PermissionScope{Global}, Noun: "audit log entry"},
	TableWebTemplate:     {Scopes: []PermissionScope{Global}, Noun: "web template"},
	TablePageTemplate:    {Scopes: []PermissionScope{Global}, Noun: "page template"},
	TableWebPage:         {Scopes: []PermissionScope{Global}, Noun: "web page"},
	TableContentSnippet:  {Scopes: []PermissionScope{Global}, Noun: "content snippet"},
	TableSiteSetting:     {Scopes: []PermissionScope{Global}, Noun: "site setting"},
}

// Scope returns the rows of table on which the viewer of ctx may exercise
// priv: the union over the viewer's roles of the scopes their permissions
// grant, as the Casbin model (model.conf) decides it. It reads the in-memory
// policy only: no database round trip.
func (e *Enforcer) Scope(ctx context.Context, table string, priv Privilege) Scope {
	s := e.current()
	if s == nil {
		return Scope{}
	}
	v := portal.ViewerFrom(ctx)
	return s.grant(v, table, priv).scope(v)
}

// ReadScope is Scope(ctx, table, Read).
func (e *Enforcer) ReadScope(ctx context.Context, table string) Scope {
	return e.Scope(ctx, table, Read)
}

// Require returns nil when the viewer of ctx may exercise priv on at least
// some rows of table, EUNAUTHENTICATED for an anonymous viewer who may not,
// and EFORBIDDEN for a signed-in viewer who may not. Row-level checks use
// Scope: a row out of scope is reported as missing (ENOTFOUND), never as
// FORBIDDEN, so the answer does not confirm that it exists.
func (e *Enforcer) Require(ctx context.Context, table string, priv Privilege) error {
	if !e.Scope(ctx, table, priv).None() {
		return nil
	}
	if portal.ViewerFrom(ctx).Anonymous() {
		return portal.Errorf(portal.EUNAUTHENTICATED, "Sign in to %s %s records.", strings.ToLower(string(priv)), table)
	}
	return portal.Errorf(portal.EFORBIDDEN, "Your roles do not allow %s on %s records; ask an administrator.", priv, table)
}

// Scope is which rows of a table a viewer may reach with a privilege. The
// zero Scope reaches no row. Stores turn it into a SQL condition with
// Where, so rows out of scope are never loaded.
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
	// InvoiceOf, when set, reaches the invoice account of the customer
	// account with this id (the viewer's own): the model's
	// INVOICE_ACCOUNT rule for reading customer accounts.
	InvoiceOf string
}

// None reports whether the scope reaches no row at all.
func (s Scope) None() bool {
	return !s.All && s.ContactID == "" && s.AccountID == "" && s.InvoiceOf == "" && (s.Parent == nil || s.Parent.None())
}

// Row is who owns a row, for checking a row already loaded.
type Row struct {
	ContactID string
	AccountID string
}

// Allows reports whether a row owned as r is in scope; a row reached only
// through its parent is checked with Parent.Allows on the parent's owner,
// and the invoice account (InvoiceOf) only in SQL, through Where.
func (s Scope) Allows(r Row) bool {
	return s.All || (s.ContactID != "" && s.ContactID == r.ContactID) ||
		(s.AccountID != "" && s.AccountID == r.AccountID)
}

// AllowsUnder reports whether the scope reaches the rows under a parent
// row owned as parent (lines of an order, addresses of an account): every
// row (GLOBAL), or the parent within its PARENT scope. A row has an owner
// of its own or a parent, never both, so this is the check for rows reached
// through their parent, as Where's PARENT part is for SQL.
func (s Scope) AllowsUnder(parent Row) bool {
	return s.All || (s.Parent != nil && s.Parent.Allows(parent))
}
