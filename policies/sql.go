package policies

import "strings"

// Columns tells Scope.Where how one table, as a query names it, records who
// owns a row. Leave a field empty when the table has no such owner; a scope
// part that needs it then reaches no row.
//
// This is the contract between policies and every store (catalog,
// identity, orders): a store never filters rows in Go, it asks
// Scope(ctx, table, priv) and puts Where's condition into its query. The
// helpers below (OrderColumns, LineColumns, ...) give the columns of the
// portal's tables for a given alias.
type Columns struct {
	// Contact is the column holding the owning contact's id, compared
	// with Scope.ContactID: "o.contact_id" for orders (CONTACT), "c.id"
	// for the contact table itself (SELF).
	Contact string
	// Account is the column holding the customer account's id, compared
	// with Scope.AccountID: "o.customer_account_id", "c.customer_account_id",
	// or "a.id" for the customer_account table itself.
	Account string
	// ParentKey is the column referencing the parent row, for PARENT
	// scopes: "l.sales_order_id" for lines, "d.customer_account_id" for
	// delivery addresses.
	ParentKey string
	// ParentFrom is the parent table with an alias, "sales_order p", and
	// ParentID its id column, "p.id".
	ParentFrom string
	ParentID   string
	// Parent are the columns of the parent table under that alias.
	Parent *Columns
	// InvoiceAccount is the column compared with the invoice account of
	// Scope.InvoiceOf: "a.id" for the customer_account table itself.
	InvoiceAccount string
}

// OrderColumns are sales_order's columns under alias a ("o").
func OrderColumns(a string) Columns {
	return Columns{Contact: a + ".contact_id", Account: a + ".customer_account_id"}
}

// LineColumns are sales_order_line's columns under alias a ("l"); a line
// is reached through its order (PARENT).
func LineColumns(a string) Columns {
	p := OrderColumns(a + "_o")
	return Columns{ParentKey: a + ".sales_order_id", ParentFrom: "sales_order " + a + "_o", ParentID: a + "_o.id", Parent: &p}
}

// ContactColumns are contact's columns under alias a ("c"): SELF is the
// row itself, ACCOUNT its customer account.
func ContactColumns(a string) Columns {
	return Columns{Contact: a + ".id", Account: a + ".customer_account_id"}
}

// AccountColumns are customer_account's columns under alias a; the
// invoice account of the viewer's account is the row itself.
func AccountColumns(a string) Columns { return Columns{Account: a + ".id", InvoiceAccount: a + ".id"} }

// AddressColumns are delivery_address's columns under alias a; an address
// is reached through its account (PARENT).
func AddressColumns(a string) Columns {
	p := AccountColumns(a + "_a")
	return Columns{ParentKey: a + ".customer_account_id",
		ParentFrom: "customer_account " + a + "_a", ParentID: a + "_a.id", Parent: &p}
}

// Where returns a SQL condition, with bun's ? placeholders and their
// arguments, that holds exactly for the rows of the table described by c
// that s reaches: "TRUE" for GLOBAL, "FALSE" for no row, else an OR of
//
//	c.Contact = ?                                   (CONTACT, SELF)
//	c.Account = ?                                   (ACCOUNT)
//	c.InvoiceAccount = (SELECT invoice_account_id FROM customer_account WHERE id = ?)   (INVOICE_ACCOUNT)
//	c.ParentKey IN (SELECT c.ParentID FROM c.ParentFrom WHERE <parent>)   (PARENT)
//
// Each part is an equality on an indexed column (or a semi-join on one),
// so a store that pages in index order (e.g. sales_order_contact_idx) keeps
// an index scan. Wrap it in a query with AND:
//
//	s := enforcer.Scope(ctx, policies.TableSalesOrder, policies.Read)
//	if s.None() { ... nothing to read: an empty page, or ENOTFOUND }
//	where, args := s.Where(policies.OrderColumns("o"))
//	q := "SELECT o.* FROM sales_order o WHERE " + where +
//		" ORDER BY o.created_at DESC, o.id DESC LIMIT ?"
//	err := db.NewRaw(q, append(args, 21)...).Scan(ctx, &orders)
func (s Scope) Where(c Columns) (string, []any) {
	if s.All {
		return "TRUE", nil
	}
	var parts []string
	var args []any
	if s.ContactID != "" && c.Contact != "" {
		parts = append(parts, c.Contact+" = ?")
		args = append(args, s.ContactID)
	}
	if s.AccountID != "" && c.Account != "" {
		parts = append(parts, c.Account+" = ?")
		args = append(args, s.AccountID)
	}
	if s.InvoiceOf != "" && c.InvoiceAccount != "" {
		parts = append(parts, c.InvoiceAccount+" = (SELECT policy_ia.invoice_account_id FROM customer_account policy_ia WHERE policy_ia.id = ?)")
		args = append(args, s.InvoiceOf)
	}
	if s.Parent != nil && !s.Parent.None() && c.ParentKey != "" && c.Parent != nil {
		pw, pargs := s.Parent.Where(*c.Parent)
		if pw == "TRUE" {
			// Every parent row: every row that has one.
			parts = append(parts, c.ParentKey+" IS NOT NULL")
		} else if pw != "FALSE" {
			parts = append(parts, c.ParentKey+" IN (SELECT "+c.ParentID+" FROM "+c.ParentFrom+" WHERE "+pw+")")
			args = append(args, pargs...)
		}
	}
	switch len(parts) {
	case 0:
		return "FALSE", nil
	case 1:
		return parts[0], args
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}
