package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/identity"
	"github.com/openportal/portal/outbox"
	"github.com/openportal/portal/policies"
)

// orderer is the contact placing an order with the values an order takes
// from it: its own, else its customer account's; the codes and names the
// ERP event names them by; and, when asked, the account's first delivery
// address in the ship-to country that the viewer may read (the address a
// new order gets when none is given).
type orderer struct {
	ID                   string
	LegalEntityID        sql.NullString
	CompanyCode          sql.NullString
	CustomerAccountID    sql.NullString
	AccountNumber        sql.NullString
	InvoiceAccountID     sql.NullString
	InvoiceAccountNumber sql.NullString
	PriceListID          sql.NullString
	PriceListCode        sql.NullString
	PriceListCurrency    sql.NullString
	Currency             sql.NullString
	ShipToCountry        sql.NullString
	Language             sql.NullString
	Email                string
	FirstName            string
	LastName             string
	AddressDescription   sql.NullString
	AddressStreet        sql.NullString
	AddressCity          sql.NullString
	AddressPostalCode    sql.NullString
	AddressCountryCode   sql.NullString
	// AddressFor is the ship-to country the address was looked for in
	// (see staleJoins).
	AddressFor sql.NullString
	// Now is the transaction's now(): the time the order is created (and
	// submitted, when placed at once) as the database stores it.
	Now time.Time
	// Offers are, for an order placed at once, the units its lines'
	// products are sold in with their prices in the contact's price list,
	// by product id (see readOffers).
	Offers map[string][]offer `bun:"-"`
}

// ordererRow is a row of loadOrderer's statement: the contact, with one of
// the offers of the products asked for (none: zero).
type ordererRow struct {
	C  orderer `bun:"embed:"`
	Of offer   `bun:"embed:of_"`
}

// loadOrderer reads the viewer's contact with its effective values and,
// when in gives no delivery address, the account's first one in the
// ship-to country (in's, for an administrator, else the contact's): one
// statement for what were three. For an order placed at once, products
// are its lines' products (db.CanonicalID's spelling): the same statement
// reads their offers (what readOffers reads, a round trip less), and
// share-locks the contact until the transaction ends, so its terms cannot
// change under an order placed and submitted in one transaction (see
// checkTerms). Should it wait for an administrator's change of the
// contact, PostgreSQL returns the contact as changed but the rows joined to
// it (company, account, price list) as they were when the statement began
// (READ COMMITTED), or none where they no longer match: then the statement
// runs once more, under the lock now held, and sees the change whole.
func (s *Service) loadOrderer(ctx context.Context, tx bun.Tx, contactID string, in InformationInput, products []string) (*orderer, error) {
	wantAddress := in.DeliveryAddressID == nil && in.DeliveryAddress == nil
	var shipTo *string
	if in.ShipToCountry != nil {
		country := strings.ToUpper(strings.TrimSpace(*in.ShipToCountry))
		shipTo = &country
	}
	// An address the viewer may not read is as good as none.
	where, whereArgs := s.Policy.ReadScope(ctx, policies.TableDeliveryAddress).Where(policies.AddressColumns("d"))
	q := `SELECT c.id, c.legal_entity_id, le.code AS company_code,
			c.customer_account_id, a.account_number, a.invoice_account_id, ia.account_number AS invoice_account_number,
			COALESCE(c.price_list_id, a.price_list_id) AS price_list_id, pl.code AS price_list_code,
			pl.currency AS price_list_currency,
			COALESCE(c.currency, a.currency) AS currency,
			COALESCE(c.ship_to_country, a.ship_to_country) AS ship_to_country,
			COALESCE(c.language, a.language) AS language, c.email, c.first_name, c.last_name,
			da.description AS address_description, da.street AS address_street, da.city AS address_city,
			da.postal_code AS address_postal_code, da.country_code AS address_country_code, da.address_for,
			now() AS now` + offersColumns + `
		FROM contact c
		LEFT JOIN legal_entity le ON le.id = c.legal_entity_id
		LEFT JOIN customer_account a ON a.id = c.customer_account_id
		LEFT JOIN customer_account ia ON ia.id = a.invoice_account_id
		LEFT JOIN price_list pl ON pl.id = COALESCE(c.price_list_id, a.price_list_id)
		LEFT JOIN LATERAL (SELECT d.description, d.street, d.city, d.postal_code, d.country_code,
				COALESCE(?::text, c.ship_to_country, a.ship_to_country) AS address_for
			FROM (SELECT) one LEFT JOIN delivery_address d ON ? AND d.customer_account_id = c.customer_account_id
				AND d.country_code = COALESCE(?::text, c.ship_to_country, a.ship_to_country) AND ` + where + `
			ORDER BY d.position, d.id LIMIT 1) da ON TRUE`
	args := make([]any, 0, 5+len(whereArgs))
	args = append(append(args, shipTo, wantAddress, shipTo), whereArgs...)
	if products != nil {
		q += `
		LEFT JOIN LATERAL (
			SELECT p.id AS product_id, p.legal_entity_id, p.number, pu.unit, pu.position, u.decimals, pr.unit_price,
				(SELECT minor_units FROM currency WHERE code = COALESCE(c.currency, a.currency)) AS minor_units
			-- Driven by the ids, so that every table is read by its key:
			-- with p.id = ANY(...) the prepared (generic) plan read all of
			-- product, product_unit and price for every order.
			FROM (SELECT DISTINCT unnest(?::uuid[]) AS id) want
			JOIN product p ON p.id = want.id
			JOIN product_unit pu ON pu.product_id = p.id
			JOIN unit u ON u.code = pu.unit
			LEFT JOIN price pr ON pr.price_list_id = COALESCE(c.price_list_id, a.price_list_id)
				AND pr.product_id = p.id AND pr.unit = pu.unit) f ON TRUE
		WHERE c.id = ? AND NOT c.disabled
		ORDER BY f.product_id, f.position FOR SHARE OF c`
		args = append(args, pgArray(products), contactID)
	} else {
		q = strings.Replace(q, offersColumns, "", 1) + `
		WHERE c.id = ? AND NOT c.disabled`
		args = append(args, contactID)
	}
	var rows []ordererRow
	for attempt := 0; ; attempt++ {
		if err := s.query(ctx, tx, q, args, &rows); err != nil {
			return nil, err
		}
		if len(rows) == 0 {
			return nil, portal.Errorf(portal.EUNAUTHENTICATED, "Your contact does not exist or is disabled; sign in again.")
		}
		if products == nil || attempt > 0 || !rows[0].C.staleJoins(shipTo) {
			break
		}
		rows = rows[:0]
	}
	c := &rows[0].C
	if products != nil {
		c.Offers = make(map[string][]offer, len(products))
		for _, r := range rows {
			if r.Of.ProductID != "" {
				c.Offers[r.Of.ProductID] = append(c.Offers[r.Of.ProductID], r.Of)
			}
		}
	}
	return c, nil
}

// staleJoins reports whether a row the contact refers to is missing from
// its row: the foreign keys make that impossible in one snapshot, so the
// contact changed while loadOrderer waited for its lock. The delivery
// address (a subquery, which PostgreSQL does not evaluate again after the
// wait) was looked for in the ship-to country the contact had before: its
// row always exists and says which (AddressFor).
func (c *orderer) staleJoins(shipTo *string) bool {
	country := c.ShipToCountry
	if shipTo != nil {
		country = sql.NullString{String: *shipTo, Valid: true}
	}
	return c.LegalEntityID.Valid && !c.CompanyCode.Valid || c.CustomerAccountID.Valid && !c.AccountNumber.Valid ||
		c.InvoiceAccountID.Valid && !c.InvoiceAccountNumber.Valid || c.PriceListID.Valid && !c.PriceListCode.Valid ||
		c.AddressFor != country
}

// offersColumns are loadOrderer's columns of an offer.
const offersColumns = `,
			f.product_id AS of_product_id, f.legal_entity_id AS of_legal_entity_id, f.number AS of_number,
			f.unit AS of_unit, f.decimals AS of_decimals, f.unit_price AS of_unit_price, f.minor_units AS of_minor_units`

// missing lists what the contact lacks to order, with the same names and
// rules as identity.Contact.MissingOrderFields (one definition of "ready to
// order"), after an administrator's company and ship-to country.
func (c *orderer) missing() []string {
	ptr := func(n sql.NullString) *string {
		if n.Valid {
			return &n.String
		}
		return nil
	}
	return (&identity.Contact{
		LegalEntityID: ptr(c.LegalEntityID), CustomerAccountID: ptr(c.CustomerAccountID),
		PriceListID: ptr(c.PriceListID), Currency: ptr(c.Currency), ShipToCountry: ptr(c.ShipToCountry),
	}).MissingOrderFields()
}

// Create is wizard step 1: it makes a DRAFT order placed by the viewer's
// contact, with the header filled from the contact (else its account): company,
// customer and invoice account, contact person, currency, price list,
// language, ship-to country; the delivery address chosen (the account's
// first in the ship-to country when none is given); and the next number of
// the company's sequence.
// Only administrators may give company and shipToCountry.
// Returns EUNAUTHENTICATED/EFORBIDDEN when the viewer may not create orders,
// EINVALID naming the input field at fault, or listing (in
// Details["missingFields"]) everything the contact lacks to order.
func (s *Service) Create(ctx context.Context, in InformationInput) (*Order, error) {
	if err := s.Policy.Require(ctx, policies.TableSalesOrder, policies.Create); err != nil {
		return nil, err
	}
	if err := checkAdminOnly(in, s.mayChooseHidden(ctx)); err != nil {
		return nil, err
	}
	return db.TxValue(ctx, s.DB, func(ctx context.Context, tx bun.Tx) (*Order, error) {
		o, _, err := s.newOrder(ctx, tx, in, nil)
		if err != nil {
			return nil, err
		}
		created, err := s.insertOrder(ctx, tx, o, nil, nil)
		if err != nil {
			return nil, err
		}
		// The row as stored (defaults included), with no lines yet: no
		// read back.
		created.Lines = []*Line{}
		return created, nil
	})
}

// newOrder is the header of a new order placed by the viewer's contact,
// validated but not stored: the contact's values (see Create), the
// information in, and the check that the viewer may create an order for
// its account. products, for an order placed at once, are its lines'
// products (see loadOrderer). The caller
// has checked CREATE on sales_order and the administrator-only inputs.
func (s *Service) newOrder(ctx context.Context, tx bun.Tx, in InformationInput, products []string) (*Order, *orderer, error) {
	// A visitor may hold CREATE (an administrator can grant it to
	// Anonymous users) but has no contact to place an order for.
	if err := requireSignedIn(ctx); err != nil {
		return nil, nil, err
	}
	c, err := s.loadOrderer(ctx, tx, portal.ViewerFrom(ctx).ContactID, in, products)
	if err != nil {
		return nil, nil, err
	}
	if in.Company != nil {
		if err := s.adminCompany(ctx, tx, c, *in.Company); err != nil {
			return nil, nil, err
		}
	}
	if in.ShipToCountry != nil {
		country := strings.ToUpper(strings.TrimSpace(*in.ShipToCountry))
		if err := s.checkCountry(ctx, tx, "shipToCountry", country); err != nil {
			return nil, nil, err
		}
		c.ShipToCountry = sql.NullString{String: country, Valid: true}
	}
	if m := c.missing(); len(m) > 0 {
		return nil, nil, &portal.Error{Code: portal.EINVALID, Details: map[string]any{"missingFields": m},
			Message: fmt.Sprintf("Your contact cannot place orders yet: it has no %s. An administrator must complete the contact (or its customer account) first.",
				strings.Join(m, ", "))}
	}
	if c.PriceListCurrency.String != c.Currency.String {
		return nil, nil, &portal.Error{Code: portal.EINVALID, Details: map[string]any{"missingFields": []string{"priceList"}},
			Message: fmt.Sprintf("Your contact orders in %s but its price list is in %s. An administrator must give the contact a %s price list first.",
				c.Currency.String, c.PriceListCurrency.String, c.Currency.String)}
	}
	o := &Order{
		LegalEntityID: c.LegalEntityID.String, CustomerAccountID: c.CustomerAccountID.String,
		InvoiceAccountID: c.InvoiceAccountID.String, ContactID: c.ID, Currency: c.Currency.String,
		PriceListID: c.PriceListID.String, Language: c.Language.String, ShipToCountry: c.ShipToCountry.String,
		Status: Draft, SyncState: "NOT_SENT", NextLineNumber: 1,
	}
	if !s.Policy.Scope(ctx, policies.TableSalesOrder, policies.Create).Allows(o.owner()) {
		return nil, nil, portal.Errorf(portal.EFORBIDDEN, "Your roles do not allow creating orders for customer account %s.", c.AccountNumber.String)
	}
	if err := s.applyInformation(ctx, tx, o, in, c); err != nil {
		return nil, nil, err
	}
	return o, c, nil
}

// insertOrder stores the order o with the next number of its company's
// sequence, its lines and, when not nil, the outbox event reserved for it
// (whose payload's "number" is filled in with the order's), in one
// statement, and answers the order as stored (RETURNING *: number,
// defaults, times), without lines. o's status and sync state are stored as
// they are; an order stored past DRAFT is submitted now(). The ids of the
// order and its lines, when empty, are made here; the lines' ship-to
// country and delivery address are the order's.
//
// The number comes from the company's PostgreSQL sequence
// (next_order_number, migration 20261129000090): unique (the unique key
// guards it too) and increasing, taken without a lock held to the commit,
// so a company's orders are placed side by side. A number taken by a
// transaction that then rolls back is not given again: the statement that
// takes it should be the transaction's last, after every check, so that
// only a failure past validation leaves a gap. Numbers are the prefix and
// at least six digits.
func (s *Service) insertOrder(ctx context.Context, tx bun.Tx, o *Order, lines []*Line, event *outbox.Reserved) (*Order, error) {
	if o.ID == "" {
		o.ID = uuid.NewString()
	}
	ids, numbers, products := make([]string, len(lines)), make([]int32, len(lines)), make([]string, len(lines))
	quantities, units, prices, amounts := make([]string, len(lines)), make([]string, len(lines)),
		make([]string, len(lines)), make([]string, len(lines))
	for i, l := range lines {
		if l.ID == "" {
			l.ID = uuid.NewString()
		}
		ids[i], numbers[i], products[i] = l.ID, int32(l.LineNumber), l.ProductID
		quantities[i], units[i], prices[i], amounts[i] = l.Quantity.String(), l.Unit, l.UnitPrice.String(), l.Amount.String()
	}
	args := []any{o.LegalEntityID,
		o.ID, o.LegalEntityID, string(o.Status), o.SyncState, o.Status != Draft, o.CustomerAccountID,
		o.InvoiceAccountID, o.ContactID, o.Currency, o.PriceListID, o.Language, o.ShipToCountry,
		o.DeliveryAddressDescription, o.DeliveryStreet, o.DeliveryCity, o.DeliveryPostalCode,
		o.DeliveryCountryCode, o.RequestedReceiptDate, o.CustomerRequisition, o.TotalAmount.String(), o.NextLineNumber,
		pgArray(ids), numbers, pgArray(products), pgArray(quantities), pgArray(units), pgArray(prices), pgArray(amounts)}
	q := insertOrderSQL
	if event != nil {
		q = insertOrderEventSQL
		args = append(append(args, event.ID), event.Values()...)
	}
	stored := new(Order)
	if err := s.query(ctx, tx, q, args, stored); err != nil {
		return nil, err
	}
	for _, l := range lines {
		l.SalesOrderID, l.ShipToCountry, l.DeliveryAddressDescription = stored.ID, stored.ShipToCountry, stored.DeliveryAddressDescription
	}
	return stored, nil
}

// insertOrderSQL is insertOrder's statement; insertOrderEventSQL adds the
// outbox event.
const (
	insertOrderSQL      = insertOrderCTEs + "\n\t\tSELECT * FROM o"
	insertOrderEventSQL = insertOrderCTEs + `,
		` + outbox.JobCTE + `,
		e AS (
			INSERT INTO outbox_event (` + outbox.Columns + `)
			VALUES (?, ?, ?, ?, jsonb_set(?::text::jsonb, '{number}', to_jsonb((SELECT number FROM n))),
				(SELECT id FROM outbox_job)))
		SELECT * FROM o`
	insertOrderCTEs = `WITH n AS (SELECT next_order_number(?) AS number),
		o AS (
			INSERT INTO sales_order (id, legal_entity_id, number, status, sync_state, submitted_at, customer_account_id,
				invoice_account_id, contact_id, currency, price_list_id, language, ship_to_country,
				delivery_address_description, delivery_street, delivery_city, delivery_postal_code,
				delivery_country_code, requested_receipt_date, customer_requisition, total_amount, next_line_number)
			VALUES (?, ?, (SELECT number FROM n), ?, ?, CASE WHEN ? THEN now() END, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			RETURNING *),
		l AS (
			INSERT INTO sales_order_line (id, sales_order_id, line_number, product_id, quantity, unit, unit_price, amount,
				ship_to_country, delivery_address_description)
			SELECT x.id, o.id, x.line_number, x.product_id, x.quantity, x.unit, x.unit_price, x.amount,
				o.ship_to_country, o.delivery_address_description
			FROM o, unnest(?::uuid[], ?::int[], ?::uuid[], ?::numeric[], ?::text[], ?::numeric[], ?::numeric[])
				AS x(id, line_number, product_id, quantity, unit, unit_price, amount))`
)

// UpdateInformation changes step 1 of a draft: requested receipt date,
// delivery address, requisition, and (administrators only) ship-to country;
// the lines follow the new ship-to country and delivery address. A new
// ship-to country needs a delivery address there, unless the order's is. The
// company of an order never changes: its account and prices belong to it.
// Returns ENOTFOUND when the viewer may not read the order, EFORBIDDEN when
// it may not change it, ECONFLICT when the order is no longer a draft, and
// EINVALID naming the input field at fault.
func (s *Service) UpdateInformation(ctx context.Context, orderID string, in InformationInput) (*Order, error) {
	admin := s.mayChooseHidden(ctx)
	return s.edit(ctx, func(ctx context.Context, tx bun.Tx) (*Order, error) {
		o, err := s.lockOrder(ctx, tx, orderID)
		if err != nil {
			return nil, err
		}
		if err := s.checkChange(ctx, o, policies.TableSalesOrder, policies.Write); err != nil {
			return nil, err
		}
		if err := checkAdminOnly(in, admin); err != nil {
			return nil, err
		}
		if in.Company != nil {
			var code string
			if err := tx.NewRaw("SELECT code FROM legal_entity WHERE id = ?", o.LegalEntityID).Scan(ctx, &code); err != nil {
				return nil, err
			}
			if !strings.EqualFold(strings.TrimSpace(*in.Company), code) {
				return nil, portal.FieldErrorf("company", "Order %s belongs to company %s and cannot move to %q; create a new order instead.",
					o.Number, code, strings.TrimSpace(*in.Company))
			}
		}
		if in.ShipToCountry != nil {
			country := strings.ToUpper(strings.TrimSpace(*in.ShipToCountry))
			if err := s.checkCountry(ctx, tx, "shipToCountry", country); err != nil {
				return nil, err
			}
			o.ShipToCountry = country
		}
		if err := s.applyInformation(ctx, tx, o, in, nil); err != nil {
			return nil, err
		}
		_, err = tx.ExecContext(ctx, `UPDATE sales_order SET ship_to_country = ?, delivery_address_description = ?,
				delivery_street = ?, delivery_city = ?, delivery_postal_code = ?, delivery_country_code = ?,
				requested_receipt_date = ?, customer_requisition = ?, version = version + 1, updated_at = now()
			WHERE id = ?`,
			o.ShipToCountry, o.DeliveryAddressDescription, o.DeliveryStreet, o.DeliveryCity, o.DeliveryPostalCode,
			o.DeliveryCountryCode, o.RequestedReceiptDate, o.CustomerRequisition, o.ID)
		if err != nil {
			return nil, err
		}
		// Lines carry the order's ship-to country and delivery address.
		if _, err := tx.ExecContext(ctx, `UPDATE sales_order_line SET ship_to_country = ?, delivery_address_description = ?
			WHERE sales_order_id = ?`, o.ShipToCountry, o.DeliveryAddressDescription, o.ID); err != nil {
			return nil, err
		}
		return reload(ctx, tx, o.ID)
	})
}

// mayChooseHidden reports whether the viewer may choose what is otherwise
// filled from its contact (company, ship-to country): whoever may change
// every order (policies.ChooseOrderTerms), which by default is the
// Administrators role. A permission, not a role name, so administrators can
// hand it to, say, a sales desk role.
func (s *Service) mayChooseHidden(ctx context.Context) bool {
	return s.Policy.May(ctx, policies.ChooseOrderTerms)
}

// checkAdminOnly refuses the inputs only administrators may give: a customer
// must not choose what the company decides, and silently ignoring the value
// would hide that from the client.
func checkAdminOnly(in InformationInput, admin bool) error {
	if admin {
		return nil
	}
	if in.Company != nil {
		return portal.FieldErrorf("company", "Only administrators may choose the company; leave company out and your contact's company is used.")
	}
	if in.ShipToCountry != nil {
		return portal.FieldErrorf("shipToCountry", "Only administrators may choose the ship-to country; leave shipToCountry out and your contact's is used.")
	}
	return nil
}

// adminCompany applies an administrator's choice of company to the contact
// placing the order. The contract has no input for another customer, so
// the order is still the administrator's contact's, and its account must
// belong to the chosen company.
func (s *Service) adminCompany(ctx context.Context, tx bun.Tx, c *orderer, code string) error {
	code = strings.ToUpper(strings.TrimSpace(code))
	var id string
	err := s.query(ctx, tx, "SELECT id FROM legal_entity WHERE code = ?", []any{code}, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return portal.FieldErrorf("company", "Company %q does not exist; use a legal entity code such as USMF.", code)
	}
	if err != nil {
		return err
	}
	if c.LegalEntityID.Valid && c.LegalEntityID.String != id {
		return portal.FieldErrorf("company", "Your contact belongs to company %s (account %s), not %s; an order's customer account must be in its company.",
			c.CompanyCode.String, c.AccountNumber.String, code)
	}
	c.LegalEntityID = sql.NullString{String: id, Valid: true}
	c.CompanyCode = sql.NullString{String: code, Valid: true}
	return nil
}

// maxLeadTime is how far ahead a requested receipt date may be: later is
// almost certainly a mistyped year, not a plan.
const maxLeadTime = 2 // years

// applyInformation validates the date, delivery address and requisition of
// in and sets them on o, whose ship-to country is already decided. For a
// new order (placed by c, nil for a change) without an address, the
// account's first delivery address in the ship-to country is used (c's,
// see loadOrderer). The delivery address is always in the ship-to country.
func (s *Service) applyInformation(ctx context.Context, tx bun.Tx, o *Order, in InformationInput, c *orderer) error {
	date := day(in.RequestedReceiptDate)
	// "Not in the past" for a customer anywhere: a date that is still today
	// somewhere on Earth (UTC-12) is accepted, so a customer late in the
	// evening west of Greenwich is not refused today's date; likewise the
	// lead time counts from the latest today (UTC+14).
	now := s.now().UTC()
	earliest, latest := day(now.Add(-12*time.Hour)), day(now.Add(14*time.Hour)).AddDate(maxLeadTime, 0, 0)
	switch {
	case !inRange(date):
		return portal.FieldErrorf("requestedReceiptDate", "The requested receipt date %s is not a day between 0001-01-01 and 9999-12-31.",
			date.Format(time.DateOnly))
	case date.Before(earliest):
		return portal.FieldErrorf("requestedReceiptDate", "The requested receipt date %s is in the past; choose today or a later day.",
			date.Format(time.DateOnly))
	case date.After(latest):
		return portal.FieldErrorf("requestedReceiptDate", "The requested receipt date %s is more than two years ahead; check the year (the latest is %s).",
			date.Format(time.DateOnly), latest.Format(time.DateOnly))
	}
	o.RequestedReceiptDate = date

	switch {
	case in.DeliveryAddressID != nil && in.DeliveryAddress != nil:
		return portal.FieldErrorf("deliveryAddress", "Give either deliveryAddressId (one of the account's addresses) or deliveryAddress (a new one), not both.")
	case in.DeliveryAddressID != nil:
		if err := s.accountAddress(ctx, tx, o, *in.DeliveryAddressID); err != nil {
			return err
		}
	case in.DeliveryAddress != nil:
		a := in.DeliveryAddress
		desc, street, city, postal := strings.TrimSpace(a.Description), strings.TrimSpace(a.Street),
			strings.TrimSpace(a.City), strings.TrimSpace(a.PostalCode)
		country := strings.ToUpper(strings.TrimSpace(a.CountryCode))
		for _, f := range []struct{ name, value string }{
			{"description", desc}, {"street", street}, {"city", city}, {"postalCode", postal},
		} {
			if utf8.RuneCountInString(f.value) > maxAddressLength {
				return portal.FieldErrorf("deliveryAddress."+f.name, "The %s is longer than %d characters.", f.name, maxAddressLength)
			}
		}
		switch {
		case desc == "":
			return portal.FieldErrorf("deliveryAddress.description", "A delivery address needs a description; it travels with the order.")
		case street == "":
			return portal.FieldErrorf("deliveryAddress.street", "A delivery address needs a street.")
		case city == "":
			return portal.FieldErrorf("deliveryAddress.city", "A delivery address needs a city.")
		}
		if err := s.checkCountry(ctx, tx, "deliveryAddress.countryCode", country); err != nil {
			return err
		}
		// The ship-to country is the company's choice (or an
		// administrator's); an address elsewhere would choose it anyway.
		if country != o.ShipToCountry {
			return portal.FieldErrorf("deliveryAddress.countryCode", "This order ships to %s, so the delivery address must be in %s, not %s.",
				o.ShipToCountry, o.ShipToCountry, country)
		}
		o.DeliveryAddressDescription, o.DeliveryStreet, o.DeliveryCity, o.DeliveryPostalCode = desc, street, city, postal
		o.DeliveryCountryCode = country
	case c != nil:
		if !c.AddressDescription.Valid {
			return portal.FieldErrorf("deliveryAddress", "Your customer account has no delivery address in %s, where this order ships; give a new delivery address (deliveryAddress) in %s for this order.",
				o.ShipToCountry, o.ShipToCountry)
		}
		o.DeliveryAddressDescription, o.DeliveryStreet, o.DeliveryCity = c.AddressDescription.String, c.AddressStreet.String, c.AddressCity.String
		o.DeliveryPostalCode, o.DeliveryCountryCode = c.AddressPostalCode.String, c.AddressCountryCode.String
	case o.DeliveryCountryCode != o.ShipToCountry:
		// The order keeps its address, which must be where it now ships
		// (an administrator changed the ship-to country).
		return portal.FieldErrorf("deliveryAddress", "Order %s ships to %s but its delivery address %q is in %s; give a delivery address in %s (deliveryAddressId or deliveryAddress).",
			o.Number, o.ShipToCountry, o.DeliveryAddressDescription, o.DeliveryCountryCode, o.ShipToCountry)
	}

	if in.CustomerRequisition != nil {
		r := strings.TrimSpace(*in.CustomerRequisition)
		switch {
		case r == "":
			o.CustomerRequisition = nil
		case utf8.RuneCountInString(r) > maxRequisitionLength:
			return portal.FieldErrorf("customerRequisition", "The customer requisition is longer than %d characters.", maxRequisitionLength)
		default:
			o.CustomerRequisition = &r
		}
	}
	return nil
}

// accountAddress copies one of the order's account's delivery addresses,
// which must be in the order's ship-to country.
func (s *Service) accountAddress(ctx context.Context, tx bun.Tx, o *Order, id string) error {
	bad := portal.FieldErrorf("deliveryAddressId", "Delivery address %s is not one of your customer account's addresses.", id)
	if !db.ValidID(id) {
		return bad
	}
	// An address the viewer may not read is as good as none.
	where, args := s.Policy.ReadScope(ctx, policies.TableDeliveryAddress).Where(policies.AddressColumns("d"))
	var desc, street, city, postal, country string
	err := s.query(ctx, tx, `SELECT d.description, d.street, d.city, d.postal_code, d.country_code FROM delivery_address d
		WHERE d.id = ? AND d.customer_account_id = ? AND `+where, append([]any{id, o.CustomerAccountID}, args...),
		&desc, &street, &city, &postal, &country)
	if errors.Is(err, sql.ErrNoRows) {
		return bad
	}
	if err != nil {
		return err
	}
	if country != o.ShipToCountry {
		return portal.FieldErrorf("deliveryAddressId", "Delivery address %q is in %s, but this order ships to %s; choose an address in %s or give a new one (deliveryAddress).",
			desc, country, o.ShipToCountry, o.ShipToCountry)
	}
	o.DeliveryAddressDescription, o.DeliveryStreet, o.DeliveryCity, o.DeliveryPostalCode = desc, street, city, postal
	o.DeliveryCountryCode = country
	return nil
}

// checkChange is what every change to a loaded order needs: the privilege
// in scope (see allowed), and a draft (anything else is ECONFLICT).
func (s *Service) checkChange(ctx context.Context, o *Order, table string, priv policies.Privilege) error {
	if err := s.allowed(ctx, o, table, priv); err != nil {
		return err
	}
	if o.Status != Draft {
		return portal.Errorf(portal.ECONFLICT, "Order %s is %s; only draft orders can be changed.", o.Number, o.Status)
	}
	return nil
}

// allowed checks the privilege on a loaded order (or, for
// sales_order_line, on its lines): a readable order the viewer may not
// change is EFORBIDDEN.
func (s *Service) allowed(ctx context.Context, o *Order, table string, priv policies.Privilege) error {
	scope := s.Policy.Scope(ctx, table, priv)
	ok := scope.Allows(o.owner())
	if table == policies.TableSalesOrderLine {
		ok = lineAllows(scope, o)
	}
	if ok {
		return nil
	}
	what := map[policies.Privilege]string{policies.Write: "change", policies.Delete: "delete",
		policies.Create: "add lines to", policies.AppendTo: "add lines to"}[priv]
	if table == policies.TableSalesOrderLine {
		what = map[policies.Privilege]string{policies.Write: "change the lines of", policies.Delete: "remove lines of",
			policies.Create: "add lines to"}[priv]
	}
	return portal.Errorf(portal.EFORBIDDEN, "Your roles let you see order %s but not %s it (%s on %s); ask an administrator.",
		o.Number, what, priv, table)
}

// checkCountry validates an ISO 3166-1 alpha-2 code.
func (s *Service) checkCountry(ctx context.Context, tx bun.Tx, field, code string) error {
	var one int
	err := s.query(ctx, tx, "SELECT 1 FROM country WHERE code = ?", []any{code}, &one)
	if errors.Is(err, sql.ErrNoRows) {
		return portal.FieldErrorf(field, "Unknown country code %q: use an ISO 3166-1 alpha-2 code such as US or DE.", code)
	}
	return err
}
