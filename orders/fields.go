package orders

import (
	"fmt"
	"math/bits"
	"strings"
	"sync"

	"github.com/openportal/portal/db"
)

// Fields is what a page read (Service.Page) fills in: the fields of Order
// and of Line by their Go names. A page that shows five fields of an order
// need not have PostgreSQL send, and Go decode, all 26 of its columns for
// each of its lines' rows: on the bench's page of 20 orders with 3 lines
// each, reading only the selected columns cut PostgreSQL's time for the
// statement by about a third (pgbench: 6,600 against 10,900 statements/s).
//
// Whatever the fields, a read fills the ones it needs itself: an order's
// ID and CreatedAt (the page's order and cursors), ContactID and
// CustomerAccountID (the line permission), and a line's LineNumber (the
// lines' order) and SalesOrderID. Fields it does not fill are zero: a
// partial order must not leave the request that read it.
type Fields struct {
	Order []string // Order's fields; nil: every one
	Lines bool     // read each order's lines into Lines
	Line  []string // Line's fields when Lines; nil: every one
}

// column is one column of a table read into a field of T.
type column[T any] struct {
	field string // T's field the column fills
	sql   string // the column under the read's alias
	read  func(r *db.Row, c int, v *T)
}

// orderColumns are the columns of sales_order o that the reads of orders
// read, each into its field of Order, with one string for each value the
// read's orders share (account, contact, company, status, currency,
// address…). Every field of Order but Lines has one.
var orderColumns = []column[Order]{
	{"ID", "o.id", func(r *db.Row, c int, o *Order) { o.ID = r.UUID(c) }},
	{"LegalEntityID", "o.legal_entity_id", func(r *db.Row, c int, o *Order) { o.LegalEntityID = r.SharedUUID(c) }},
	{"Number", "o.number", func(r *db.Row, c int, o *Order) { o.Number = r.Text(c) }},
	{"Status", "o.status", func(r *db.Row, c int, o *Order) { o.Status = Status(r.SharedText(c)) }},
	{"SyncState", "o.sync_state", func(r *db.Row, c int, o *Order) { o.SyncState = r.SharedText(c) }},
	{"ErpOrderNumber", "o.erp_order_number", func(r *db.Row, c int, o *Order) { o.ErpOrderNumber = r.TextOrNil(c) }},
	{"CustomerAccountID", "o.customer_account_id", func(r *db.Row, c int, o *Order) { o.CustomerAccountID = r.SharedUUID(c) }},
	{"InvoiceAccountID", "o.invoice_account_id", func(r *db.Row, c int, o *Order) { o.InvoiceAccountID = r.SharedUUID(c) }},
	{"ContactID", "o.contact_id", func(r *db.Row, c int, o *Order) { o.ContactID = r.SharedUUID(c) }},
	{"Currency", "o.currency", func(r *db.Row, c int, o *Order) { o.Currency = r.SharedText(c) }},
	{"PriceListID", "o.price_list_id", func(r *db.Row, c int, o *Order) { o.PriceListID = r.SharedUUID(c) }},
	{"Language", "o.language", func(r *db.Row, c int, o *Order) { o.Language = r.SharedText(c) }},
	{"ShipToCountry", "o.ship_to_country", func(r *db.Row, c int, o *Order) { o.ShipToCountry = r.SharedText(c) }},
	{"DeliveryAddressDescription", "o.delivery_address_description", func(r *db.Row, c int, o *Order) {
		o.DeliveryAddressDescription = r.SharedText(c)
	}},
	{"DeliveryStreet", "o.delivery_street", func(r *db.Row, c int, o *Order) { o.DeliveryStreet = r.SharedText(c) }},
	{"DeliveryCity", "o.delivery_city", func(r *db.Row, c int, o *Order) { o.DeliveryCity = r.SharedText(c) }},
	{"DeliveryPostalCode", "o.delivery_postal_code", func(r *db.Row, c int, o *Order) { o.DeliveryPostalCode = r.SharedText(c) }},
	{"DeliveryCountryCode", "o.delivery_country_code", func(r *db.Row, c int, o *Order) { o.DeliveryCountryCode = r.SharedText(c) }},
	{"RequestedReceiptDate", "o.requested_receipt_date", func(r *db.Row, c int, o *Order) { o.RequestedReceiptDate = r.Date(c) }},
	{"CustomerRequisition", "o.customer_requisition", func(r *db.Row, c int, o *Order) { o.CustomerRequisition = r.TextOrNil(c) }},
	{"TotalAmount", "o.total_amount", func(r *db.Row, c int, o *Order) { o.TotalAmount = r.Numeric(c) }},
	{"Version", "o.version", func(r *db.Row, c int, o *Order) { o.Version = r.Int(c) }},
	{"NextLineNumber", "o.next_line_number", func(r *db.Row, c int, o *Order) { o.NextLineNumber = r.Int(c) }},
	{"CreatedAt", "o.created_at", func(r *db.Row, c int, o *Order) { o.CreatedAt = r.Time(c) }},
	{"UpdatedAt", "o.updated_at", func(r *db.Row, c int, o *Order) { o.UpdatedAt = r.Time(c) }},
	{"SubmittedAt", "o.submitted_at", func(r *db.Row, c int, o *Order) { o.SubmittedAt = r.TimeOrNil(c) }},
}

// lineColumns are the columns of sales_order_line l that the reads of
// lines read, each into its field of Line, with one string for each order
// id, product id, unit and address the read's lines share. Line number
// comes first: a page's joined read (ordersWithLines) finds an order
// without lines by its NULL, and reads it whatever the fields.
var lineColumns = []column[Line]{
	{"LineNumber", "l.line_number", func(r *db.Row, c int, l *Line) { l.LineNumber = r.Int(c) }},
	{"ID", "l.id", func(r *db.Row, c int, l *Line) { l.ID = r.UUID(c) }},
	{"SalesOrderID", "l.sales_order_id", func(r *db.Row, c int, l *Line) { l.SalesOrderID = r.SharedUUID(c) }},
	{"ProductID", "l.product_id", func(r *db.Row, c int, l *Line) { l.ProductID = r.SharedUUID(c) }},
	{"Quantity", "l.quantity", func(r *db.Row, c int, l *Line) { l.Quantity = r.Numeric(c) }},
	{"Unit", "l.unit", func(r *db.Row, c int, l *Line) { l.Unit = r.SharedText(c) }},
	{"UnitPrice", "l.unit_price", func(r *db.Row, c int, l *Line) { l.UnitPrice = r.Numeric(c) }},
	{"Amount", "l.amount", func(r *db.Row, c int, l *Line) { l.Amount = r.Numeric(c) }},
	{"ShipToCountry", "l.ship_to_country", func(r *db.Row, c int, l *Line) { l.ShipToCountry = r.SharedText(c) }},
	{"DeliveryAddressDescription", "l.delivery_address_description", func(r *db.Row, c int, l *Line) {
		l.DeliveryAddressDescription = r.SharedText(c)
	}},
}

// columns is a set of a table's columns: bit i is column i of its table.
type columns uint64

// all is every column of a table of n.
func all(n int) columns { return columns(1)<<n - 1 }

var (
	allOrder = all(len(orderColumns))
	allLine  = all(len(lineColumns))
	// The columns every page read needs (Fields).
	pageOrder   = mustColumns(orderColumns, "ID", "CreatedAt", "ContactID", "CustomerAccountID")
	pageLine    = mustColumns(lineColumns, "LineNumber")
	lineOfOrder = mustColumns(lineColumns, "SalesOrderID")
	// The select lists of every column, and of the sets sqlText made.
	everyOrderColumn = selectList(orderColumns, allOrder)
	everyLineColumn  = selectList(lineColumns, allLine)
	orderSQLText     = map[columns]string{}
	lineSQLText      = map[columns]string{}
	sqlTextMu        sync.RWMutex
)

// columnsOf is the set of table's columns for fields; nil is every one.
func columnsOf[T any](table []column[T], fields []string) (columns, error) {
	if fields == nil {
		return all(len(table)), nil
	}
	var set columns
	for _, f := range fields {
		i := columnIndex(table, f)
		if i < 0 {
			var zero T
			return 0, fmt.Errorf("orders: %T has no field %q to read", zero, f)
		}
		set |= 1 << i
	}
	return set, nil
}

func mustColumns[T any](table []column[T], fields ...string) columns {
	set, err := columnsOf(table, fields)
	if err != nil {
		panic(err)
	}
	return set
}

func columnIndex[T any](table []column[T], field string) int {
	for i := range table {
		if table[i].field == field {
			return i
		}
	}
	return -1
}

// selectList is the select list of set's columns of table, in its order.
func selectList[T any](table []column[T], set columns) string {
	var b strings.Builder
	for i := range table {
		if set&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			b.WriteString(table[i].sql)
		}
	}
	return b.String()
}

// sqlText is selectList, made once per set: a server sees a handful of
// selections, and the pages' statements are the same text every time.
func sqlText[T any](cache map[columns]string, table []column[T], set columns) string {
	sqlTextMu.RLock()
	s, ok := cache[set]
	sqlTextMu.RUnlock()
	if ok {
		return s
	}
	s = selectList(table, set)
	sqlTextMu.Lock()
	// Bounded: a caller choosing its selections must not fill the memory.
	if len(cache) < maxSQLTexts {
		cache[set] = s
	}
	sqlTextMu.Unlock()
	return s
}

// maxSQLTexts bounds each sqlText cache.
const maxSQLTexts = 256

// readColumns reads set's columns of table from r's row, from column c on,
// into v, and returns the column after them.
func readColumns[T any](r *db.Row, table []column[T], set columns, c int, v *T) int {
	for set != 0 {
		i := bits.TrailingZeros64(uint64(set))
		table[i].read(r, c, v)
		c++
		set &^= 1 << i
	}
	return c
}

// count is how many columns set has.
func (set columns) count() int { return bits.OnesCount64(uint64(set)) }
