package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/paging"
	"github.com/openportal/portal/policies"
)

// Orders returns a page of the orders the viewer may read, newest first.
// Returns EINVALID for a bad filter, page size or cursor.
func (s *Service) Orders(ctx context.Context, f Filter, args paging.Args) (paging.Page[*Order], error) {
	return s.Page(ctx, f, args, Fields{})
}

// OrdersWithLines is Orders with each order's lines in Lines, by line
// number (none where the viewer may not read an order's lines), read with
// the page in one statement: a page with its lines costs one round trip
// instead of two (Orders, then LinesOf).
func (s *Service) OrdersWithLines(ctx context.Context, f Filter, args paging.Args) (paging.Page[*Order], error) {
	return s.Page(ctx, f, args, Fields{Lines: true})
}

// Page is Orders, or OrdersWithLines when fields.Lines, filling in only
// fields (and what the read needs: see Fields) of the orders and lines:
// for a caller that shows a few of their fields. The orders it returns
// are partial: they must not be kept or handed to code that reads other
// fields.
func (s *Service) Page(ctx context.Context, f Filter, args paging.Args, fields Fields) (paging.Page[*Order], error) {
	page := paging.Page[*Order]{Items: []*Order{}}
	orderSet, err := columnsOf(orderColumns, fields.Order)
	if err != nil {
		return page, err
	}
	lineSet, err := columnsOf(lineColumns, fields.Line)
	if err != nil {
		return page, err
	}
	orderSet |= pageOrder
	withLines := fields.Lines
	// Start refuses cursor times PostgreSQL cannot hold.
	var afterCreated time.Time
	var afterID string
	limit, hasAfter, err := args.Start(&afterCreated, &afterID)
	if err != nil {
		return page, err
	}
	if hasAfter && !db.ValidID(afterID) {
		return page, paging.ErrBadCursor(args)
	}
	for _, d := range []struct {
		field string
		t     *time.Time
	}{{"submittedFrom", f.SubmittedFrom}, {"submittedTo", f.SubmittedTo}} {
		if d.t != nil && !inRange(*d.t) {
			return page, portal.FieldErrorf(d.field, "%s is not a day between 0001-01-01 and 9999-12-31.", d.t.Format(time.DateOnly))
		}
	}
	scope := s.Policy.ReadScope(ctx, policies.TableSalesOrder)
	if scope.None() {
		return page, nil
	}
	// The values are bound ($1…), not written into the text: the same few
	// statement texts serve every viewer and cursor (db.Query).
	cond, condArgs := scope.Where(policies.OrderColumns("o"))
	where, whereArgs := []string{cond}, condArgs
	if len(f.Status) > 0 {
		statuses := make([]string, len(f.Status))
		for i, st := range f.Status {
			statuses[i] = string(st)
		}
		where = append(where, "o.status = ANY(?::text[])")
		whereArgs = append(whereArgs, statuses)
	}
	if f.ContactID != nil {
		if !db.ValidID(*f.ContactID) {
			return page, portal.FieldErrorf("contactId", "%q is not a contact id.", *f.ContactID)
		}
		where = append(where, "o.contact_id = ?")
		whereArgs = append(whereArgs, *f.ContactID)
	}
	if len(f.SyncStates) > 0 {
		where = append(where, "o.sync_state = ANY(?::text[])")
		whereArgs = append(whereArgs, f.SyncStates)
	}
	if f.CustomerAccountID != nil {
		if !db.ValidID(*f.CustomerAccountID) {
			return page, portal.FieldErrorf("customerAccountId", "%q is not a customer account id.", *f.CustomerAccountID)
		}
		where = append(where, "o.customer_account_id = ?")
		whereArgs = append(whereArgs, *f.CustomerAccountID)
	}
	if n := strings.TrimSpace(deref(f.Number)); n != "" {
		where = append(where, "(o.number ILIKE ? OR o.erp_order_number ILIKE ?)")
		like := "%" + db.EscapeLike(n) + "%"
		whereArgs = append(whereArgs, like, like)
	}
	// The days are written into the text, not bound: with generic plans
	// (db.Open) a bound range is planned blind, and PostgreSQL scanned
	// every order of the range by sales_order_submitted_idx to keep an
	// account's, instead of the account's by its index (33 ms against
	// 0.07 ms for an account of 1,000 orders among 200,000). A page read
	// with a day range is planned for its days (submittedLiteral).
	if f.SubmittedFrom != nil {
		where = append(where, "o.submitted_at >= "+submittedLiteral(day(*f.SubmittedFrom)))
	}
	if f.SubmittedTo != nil {
		// The whole day is included: before the start of the next one.
		// After 9999-12-31 there is none: every submitted order is before.
		if next := day(*f.SubmittedTo).AddDate(0, 0, 1); inRange(next) {
			where = append(where, "o.submitted_at < "+submittedLiteral(next))
		} else {
			where = append(where, "o.submitted_at IS NOT NULL")
		}
	}
	if f.SubmittedFrom != nil && f.SubmittedTo != nil && day(*f.SubmittedTo).Before(day(*f.SubmittedFrom)) {
		return page, portal.FieldErrorf("submittedTo", "submittedTo %s is before submittedFrom %s.",
			f.SubmittedTo.Format(time.DateOnly), f.SubmittedFrom.Format(time.DateOnly))
	}
	cond = strings.Join(where, " AND ")
	var total int
	if !args.SkipTotal {
		counts, err := db.Query(ctx, s.DB, make([]int, 0, 1), scanCount, "SELECT count(*) FROM sales_order o WHERE "+cond, whereArgs...)
		if err != nil {
			return page, err
		}
		total = counts[0]
	}
	q := "SELECT " + sqlText(orderSQLText, orderColumns, orderSet) + " FROM sales_order o WHERE " + cond
	if hasAfter {
		q += " AND (o.created_at, o.id) < (?, ?::uuid)"
		whereArgs = append(whereArgs, afterCreated, afterID)
	}
	q += " ORDER BY o.created_at DESC, o.id DESC LIMIT ?"
	whereArgs = append(whereArgs, limit+1)
	var rows []*Order
	var lineScope policies.Scope
	if withLines {
		lineScope = s.Policy.ReadScope(ctx, policies.TableSalesOrderLine)
	}
	if withLines && !lineScope.None() {
		rows, err = s.ordersWithLines(ctx, lineScope, limit, q, whereArgs, orderSet, lineSet)
	} else {
		rows, err = db.Query(ctx, s.DB, make([]*Order, 0, limit+1), scanOrderColumns(db.NewRow(db.NewStrings()), limit+1, orderSet), q, whereArgs...)
		for _, o := range rows {
			if withLines {
				o.Lines = []*Line{}
			}
		}
	}
	if err != nil {
		return page, err
	}
	return paging.Trim(rows, limit, func(o *Order) string { return paging.Cursor(o.CreatedAt, o.ID) }, total), nil
}

// ordersWithLines runs page, the query of a page of orders (limit+1 rows
// of orderSet's columns, newest first), joined with the orders' lines (of
// lineSet's columns, and the line number): each of an order's rows
// repeats its columns (one row with NULL line columns for an order
// without lines), and only the first is decoded. The line
// permission is checked on each order in memory, as LinesOf does.
//
// The statement has no ORDER BY: PostgreSQL would sort the joined rows,
// wide with the order's columns, again (an incremental sort, about a
// sixth of the statement's time), where the page is already in order and
// each order has 3 lines. The rows are put in order here instead, without
// relying on the plan's order: orders newest first (created_at, then id,
// as the page's ORDER BY; uuids order as their lowercase text does), lines
// by line number.
func (s *Service) ordersWithLines(ctx context.Context, lineScope policies.Scope, limit int, page string, args []any,
	orderSet, lineSet columns) ([]*Order, error) {
	// The line's order is the row's: its id needs no column of its own.
	lineSet = lineSet&^lineOfOrder | pageLine
	q := "WITH o AS (" + page + ") SELECT o.*, " + sqlText(lineSQLText, lineColumns, lineSet) + ` FROM o
		LEFT JOIN sales_order_line l ON l.sales_order_id = o.id`
	lineAt := orderSet.count() // the line number's column (lineColumns)
	out := make([]*Order, 0, limit+1)
	// One allocation for the orders, one for the lines (more if an order
	// has many), and one backing array for every order's Lines.
	all := make([]Order, limit+1)
	var lines slab[Line]
	got := make([]ownedLine, 0, 3*(limit+1))
	at := make(map[[16]byte]int, limit+1)
	r := db.NewRow(db.NewStrings())
	err := db.Each(ctx, s.DB, func(rows pgx.Rows) error {
		r.Read(rows)
		id := r.Raw(0)
		if len(id) != 16 {
			return fmt.Errorf("orders: a joined row without an order id")
		}
		i, ok := at[[16]byte(id)]
		if !ok {
			if len(out) == len(all) {
				return fmt.Errorf("orders: more than %d orders in a page of %d", len(all), limit)
			}
			i = len(out)
			at[[16]byte(id)] = i
			o := &all[i]
			readColumns(r, orderColumns, orderSet, 0, o)
			out = append(out, o)
		}
		if !r.Null(lineAt) {
			l := lines.next(3 * (limit + 1))
			readColumns(r, lineColumns, lineSet, lineAt, l)
			l.SalesOrderID = out[i].ID
			got = append(got, ownedLine{i, l})
		}
		return r.Err()
	}, q, args...)
	if err != nil {
		return nil, err
	}
	return arrange(out, got, limit, func(o *Order) bool { return lineAllows(lineScope, o) }), nil
}

// ownedLine is a line read with the page of orders, and its order's index
// in the orders as read.
type ownedLine struct {
	order int
	line  *Line
}

// arrange puts orders read in any order in the page's (newest first:
// created_at, then id, as the page's ORDER BY; uuids order as their
// lowercase text does), and gives each its lines by line number: those
// whose order allows, and none to the order past limit, which only tells
// that a next page follows.
func arrange(orders []*Order, lines []ownedLine, limit int, allows func(*Order) bool) []*Order {
	byAge := make([]int, len(orders)) // indexes into orders, newest first
	for i := range byAge {
		byAge[i] = i
	}
	slices.SortFunc(byAge, func(i, j int) int {
		if c := orders[j].CreatedAt.Compare(orders[i].CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(orders[j].ID, orders[i].ID)
	})
	// Each shown order's lines get a piece of one array: counted, then
	// placed (in the order received: by line number, on the plans seen),
	// then sorted by line number.
	count := make([]int, len(orders))
	for _, l := range lines {
		count[l.order]++
	}
	start := make([]int, len(orders))
	n := 0
	for rank, i := range byAge {
		if rank < limit && allows(orders[i]) {
			start[i] = n
			n += count[i]
		} else {
			start[i] = -1
		}
	}
	ptrs := make([]*Line, n)
	placed := make([]int, len(orders))
	for _, l := range lines {
		if at := start[l.order]; at >= 0 {
			ptrs[at+placed[l.order]] = l.line
			placed[l.order]++
		}
	}
	sorted := make([]*Order, len(orders))
	for rank, i := range byAge {
		o := orders[i]
		sorted[rank] = o
		o.Lines = []*Line{}
		if at := start[i]; at >= 0 && count[i] > 0 {
			o.Lines = ptrs[at : at+count[i] : at+count[i]]
			slices.SortFunc(o.Lines, func(a, b *Line) int { return a.LineNumber - b.LineNumber })
		}
	}
	return sorted
}

// scanOrder reads rows of orderColumns (db.Query) through r: named
// columns into fields, decoded from the bytes received (db.Row). The
// orders are allocated n at a time (the rows expected).
func scanOrder(r *db.Row, n int) func(pgx.Rows) (*Order, error) {
	return scanOrderColumns(r, n, allOrder)
}

// scanOrderColumns is scanOrder for rows of set's columns of orderColumns.
func scanOrderColumns(r *db.Row, n int, set columns) func(pgx.Rows) (*Order, error) {
	var orders slab[Order]
	return func(rows pgx.Rows) (*Order, error) {
		r.Read(rows)
		o := orders.next(n)
		readColumns(r, orderColumns, set, 0, o)
		return o, r.Err()
	}
}

// slab hands out pointers to zero values allocated several at a time: a
// page's orders or lines cost one allocation instead of one each.
type slab[T any] struct{ buf []T }

// next returns a new zero value, allocating room for n (at least one)
// when the current chunk is full.
func (s *slab[T]) next(n int) *T {
	if len(s.buf) == cap(s.buf) {
		s.buf = make([]T, 0, max(n, 1))
	}
	s.buf = s.buf[:len(s.buf)+1]
	return &s.buf[len(s.buf)-1]
}

// scanCount reads a count(*).
func scanCount(rows pgx.Rows) (int, error) {
	var n int
	err := rows.Scan(&n)
	return n, err
}

// scanLine reads rows of lineColumns (db.Query) through r, allocating
// the lines n at a time.
func scanLine(r *db.Row, n int) func(pgx.Rows) (*Line, error) {
	var lines slab[Line]
	return func(rows pgx.Rows) (*Line, error) {
		r.Read(rows)
		l := lines.next(n)
		readColumns(r, lineColumns, allLine, 0, l)
		return l, r.Err()
	}
}

// day is the UTC midnight that starts t's date.
func day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// inRange reports whether t's date is in the years 1 to 9999: more than an
// order will ever need, and all PostgreSQL takes in the ISO form the driver
// writes (year 0 fails there with SQLSTATE 22008).
func inRange(t time.Time) bool {
	return t.Year() >= 1 && t.Year() <= 9999
}

// submittedLiteral writes d, a UTC midnight in inRange, as a timestamptz
// constant: Go formats it, so no caller's text reaches the statement.
func submittedLiteral(d time.Time) string {
	return "'" + d.UTC().Format("2006-01-02T15:04:05Z") + "'::timestamptz"
}

// Order returns one order the viewer may read; ENOTFOUND when there is none
// or the viewer may not read it.
func (s *Service) Order(ctx context.Context, id string) (*Order, error) {
	got, err := s.OrdersByID(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if got[0] == nil {
		return nil, notFound("Order", id)
	}
	return got[0], nil
}

// OrdersByID returns the orders with these ids in the same order, nil where
// there is none or the viewer may not read it (for dataloaders).
func (s *Service) OrdersByID(ctx context.Context, ids []string) ([]*Order, error) {
	var rows []*Order
	scope := s.Policy.ReadScope(ctx, policies.TableSalesOrder)
	if valid := db.ValidIDs(ids); len(valid) > 0 && !scope.None() {
		cond, args := scope.Where(policies.OrderColumns("o"))
		args = append(args, db.UUIDs(valid))
		var err error
		rows, err = db.Query(ctx, s.DB, make([]*Order, 0, len(valid)), scanOrder(db.NewRow(db.NewStrings()), len(valid)),
			"SELECT "+everyOrderColumn+" FROM sales_order o WHERE "+cond+" AND o.id = ANY(?::uuid[])", args...)
		if err != nil {
			return nil, err
		}
	}
	return db.InOrder(ids, rows, func(o *Order) string { return o.ID }), nil
}

// LinesByOrderIDs returns the lines of each order, by line number, in the
// order of orderIDs; an order the viewer may not read lines of has none.
func (s *Service) LinesByOrderIDs(ctx context.Context, orderIDs []string) ([][]*Line, error) {
	out := make([][]*Line, len(orderIDs))
	for i := range out {
		out[i] = []*Line{}
	}
	scope := s.Policy.ReadScope(ctx, policies.TableSalesOrderLine)
	valid := db.ValidIDs(orderIDs)
	if len(valid) == 0 || scope.None() {
		return out, nil
	}
	cond, args := scope.Where(policies.LineColumns("l"))
	args = append(args, db.UUIDs(valid))
	rows, err := db.Query(ctx, s.DB, make([]*Line, 0, 3*len(valid)), scanLine(db.NewRow(db.NewStrings()), 3*len(valid)), `SELECT `+everyLineColumn+` FROM sales_order_line l
		WHERE `+cond+` AND l.sales_order_id = ANY(?::uuid[]) ORDER BY l.sales_order_id, l.line_number`, args...)
	if err != nil {
		return nil, err
	}
	byOrder := map[string][]*Line{}
	for _, l := range rows {
		byOrder[l.SalesOrderID] = append(byOrder[l.SalesOrderID], l)
	}
	for i, id := range orderIDs {
		if ls := byOrder[id]; ls != nil {
			out[i] = ls
		}
	}
	return out, nil
}

// LinesOf returns the lines of orders the viewer has already read (a page
// of Orders), by line number, in the order of os; an order whose lines the
// viewer may not read has none. The line permission is checked on the
// loaded orders in memory, so the query needs only their ids, not the
// permission scope again as a subquery over every order in it.
func (s *Service) LinesOf(ctx context.Context, os []*Order) ([][]*Line, error) {
	out := make([][]*Line, len(os))
	scope := s.Policy.ReadScope(ctx, policies.TableSalesOrderLine)
	ids := make([]string, 0, len(os))
	for i, o := range os {
		out[i] = []*Line{}
		if lineAllows(scope, o) {
			ids = append(ids, o.ID)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := db.Query(ctx, s.DB, make([]*Line, 0, 3*len(ids)), scanLine(db.NewRow(db.NewStrings()), 3*len(ids)), `SELECT `+everyLineColumn+` FROM sales_order_line l
		WHERE l.sales_order_id = ANY(?::uuid[]) ORDER BY l.sales_order_id, l.line_number`, db.UUIDs(ids))
	if err != nil {
		return nil, err
	}
	at := make(map[string]int, len(os))
	for i, o := range os {
		at[o.ID] = i
	}
	// The lines of one order come together (ORDER BY): each order's are
	// a piece of rows, capped so that appending to one cannot overwrite
	// the next order's.
	for start := 0; start < len(rows); {
		end := start + 1
		for end < len(rows) && rows[end].SalesOrderID == rows[start].SalesOrderID {
			end++
		}
		out[at[rows[start].SalesOrderID]] = rows[start:end:end]
		start = end
	}
	return out, nil
}

// lockOrder reads an order the viewer may read and locks its row until the
// transaction ends, so every change to one order (and its lines) runs one
// at a time. Returns ENOTFOUND for a missing or unreadable order.
func (s *Service) lockOrder(ctx context.Context, idb bun.IDB, id string) (*Order, error) {
	if !db.ValidID(id) {
		return nil, notFound("Order", id)
	}
	scope := s.Policy.ReadScope(ctx, policies.TableSalesOrder)
	if scope.None() {
		return nil, notFound("Order", id)
	}
	cond, args := scope.Where(policies.OrderColumns("o"))
	o := new(Order)
	err := idb.NewRaw("SELECT o.* FROM sales_order o WHERE o.id = ? AND "+cond+" FOR UPDATE", append([]any{id}, args...)...).Scan(ctx, o)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("Order", id)
	}
	return o, err
}

// lockLine finds a line by id and locks its order; the order must be one the
// viewer may read. Returns ENOTFOUND otherwise.
func (s *Service) lockLine(ctx context.Context, idb bun.IDB, lineID string) (*Order, *Line, error) {
	if !db.ValidID(lineID) {
		return nil, nil, notFound("Order line", lineID)
	}
	var orderID string
	err := idb.NewRaw("SELECT sales_order_id FROM sales_order_line WHERE id = ?", lineID).Scan(ctx, &orderID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, notFound("Order line", lineID)
	}
	if err != nil {
		return nil, nil, err
	}
	o, err := s.lockOrder(ctx, idb, orderID)
	if portal.ErrorCode(err) == portal.ENOTFOUND {
		return nil, nil, notFound("Order line", lineID)
	}
	if err != nil {
		return nil, nil, err
	}
	if !lineAllows(s.Policy.ReadScope(ctx, policies.TableSalesOrderLine), o) {
		return nil, nil, notFound("Order line", lineID)
	}
	// Read again under the order's lock: the line may have been removed
	// while we waited for it.
	l := new(Line)
	err = idb.NewSelect().Model(l).Where("id = ?", lineID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, notFound("Order line", lineID)
	}
	return o, l, err
}

// reload reads an order and its lines inside the transaction that changed
// them, so what a mutation returns is one consistent snapshot.
func reload(ctx context.Context, idb bun.IDB, id string) (*Order, error) {
	o := new(Order)
	if err := idb.NewSelect().Model(o).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, err
	}
	return o, readLines(ctx, idb, o)
}

// readLines reads an order's lines, by line number, into o.Lines.
func readLines(ctx context.Context, idb bun.IDB, o *Order) error {
	o.Lines = []*Line{}
	return idb.NewSelect().Model(&o.Lines).Where("sales_order_id = ?", o.ID).Order("line_number").Scan(ctx)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
