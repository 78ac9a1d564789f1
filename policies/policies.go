// Package policies decides what a viewer may do to which table and, for
// reads, which rows: the one enforcement point that every domain service asks
// before it touches portal data.
//
// This first version knows only the built-in Administrators role: catalog
// reads are open and changes need an administrator, or the development
// switch OpenMasterData. The Casbin model with web roles and table
// permissions (the permissions issue) replaces the rules inside Require
// without changing its callers.
package policies

import (
	"context"

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
type Enforcer struct {
	// OpenMasterData lets anyone, even an anonymous caller, change master
	// data. For local development only, until sign-in exists.
	OpenMasterData bool
}

// Require returns nil when the viewer of ctx may exercise priv on table,
// EUNAUTHENTICATED for an anonymous viewer who may not, and EFORBIDDEN for a
// signed-in viewer who may not.
func (e *Enforcer) Require(ctx context.Context, table string, priv Privilege) error {
	v := portal.ViewerFrom(ctx)
	switch {
	case priv == Read && isCatalog(table):
		return nil
	case v.HasRole(portal.RoleAdministrators):
		return nil
	case e.OpenMasterData && isCatalog(table):
		return nil
	case v.Anonymous():
		return portal.Errorf(portal.EUNAUTHENTICATED, "Sign in as an administrator to change %s records.", table)
	default:
		return portal.Errorf(portal.EFORBIDDEN, "Only administrators may change %s records.", table)
	}
}

func isCatalog(table string) bool {
	switch table {
	case TableLegalEntity, TableCustomerAccount, TableProduct, TablePriceList:
		return true
	}
	return false
}

// Scope is which rows of a table a viewer may read: every row, or only the
// rows tied to its contact or its customer account. The zero Scope reaches
// no row. Stores turn it into a SQL condition, so unreadable rows are never
// loaded.
type Scope struct {
	All bool
	// ContactID, when set, reaches the viewer's own contact row (SELF) or
	// the rows it owns (CONTACT).
	ContactID string
	// AccountID, when set, reaches the rows of the viewer's customer
	// account (ACCOUNT).
	AccountID string
}

// None reports whether the scope reaches no row at all.
func (s Scope) None() bool { return !s.All && s.ContactID == "" && s.AccountID == "" }

// ReadScope returns the rows of table the viewer of ctx may read. Until the
// table permissions land: catalog tables are open, administrators read
// everything, and a signed-in contact reads its own contact row.
func (e *Enforcer) ReadScope(ctx context.Context, table string) Scope {
	v := portal.ViewerFrom(ctx)
	switch {
	case isCatalog(table), v.HasRole(portal.RoleAdministrators):
		return Scope{All: true}
	case table == TableContact && !v.Anonymous():
		return Scope{ContactID: v.ContactID}
	}
	return Scope{}
}
