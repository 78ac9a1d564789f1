package graph_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	portal "github.com/openportal/portal"
)

const (
	saveLegalEntity = `mutation($in: LegalEntityInput!) { saveLegalEntity(input: $in) { id code name } }`
	saveAccount     = `mutation($in: CustomerAccountInput!) { saveCustomerAccount(input: $in) {
		id accountNumber name currency shipToCountry language
		company { code } invoiceAccount { accountNumber } priceList { code currency }
		deliveryAddresses { id description street city postalCode countryCode } } }`
	saveProduct   = `mutation($in: ProductInput!) { saveProduct(input: $in) { id number name units defaultUnit company { code } } }`
	savePriceList = `mutation($in: PriceListInput!) { savePriceList(input: $in) { id code currency } }`
)

// seedCatalog saves two companies, a price list, products and accounts
// through the API, as an administrator.
func seedCatalog(a *api) {
	a.t.Helper()
	a.viewer = admin
	a.ok(saveLegalEntity, map[string]any{"in": map[string]any{"code": "USMF", "name": "Contoso USA"}}, nil)
	a.ok(saveLegalEntity, map[string]any{"in": map[string]any{"code": "DEMF", "name": "Contoso Germany"}}, nil)
	a.ok(saveProduct, map[string]any{"in": map[string]any{"number": "1000", "name": "Speaker", "company": "USMF", "units": []string{"ea", "box"}, "defaultUnit": "ea"}}, nil)
	a.ok(saveProduct, map[string]any{"in": map[string]any{"number": "2000", "name": "Cable", "company": "USMF", "units": []string{"m"}, "defaultUnit": "m"}}, nil)
	a.ok(savePriceList, map[string]any{"in": map[string]any{"code": "RETAIL", "company": "USMF", "currency": "USD", "prices": []any{
		map[string]any{"productNumber": "1000", "unit": "ea", "unitPrice": "199.99"},
		map[string]any{"productNumber": "1000", "unit": "box", "unitPrice": "2159.8920"},
		map[string]any{"productNumber": "2000", "unit": "m", "unitPrice": "0.10"},
	}}}, nil)
	a.ok(saveAccount, map[string]any{"in": map[string]any{"accountNumber": "US-003", "name": "Sunrise Holdings", "company": "USMF",
		"currency": "USD", "shipToCountry": "US", "language": "en-US"}}, nil)
	a.ok(saveAccount, map[string]any{"in": map[string]any{"accountNumber": "DE-001", "name": "Alpine Handel", "company": "DEMF",
		"currency": "EUR", "shipToCountry": "DE", "language": "de-DE"}}, nil)
}

func TestSaveMasterData(t *testing.T) {
	a := newAPI(t)
	seedCatalog(a)

	var got struct {
		SaveCustomerAccount struct {
			ID, AccountNumber, Name, Currency, ShipToCountry, Language string
			Company                                                    struct{ Code string }
			InvoiceAccount                                             struct{ AccountNumber string }
			PriceList                                                  struct{ Code, Currency string }
			DeliveryAddresses                                          []struct {
				ID, Description, Street, City, PostalCode, CountryCode string
			}
		}
	}
	in := map[string]any{"accountNumber": " US-002 ", "name": "Sunrise Retail", "company": "usmf",
		"invoiceAccountNumber": "US-003", "currency": "usd", "priceListCode": "RETAIL",
		"shipToCountry": "us", "language": "EN-us",
		"deliveryAddresses": []any{
			map[string]any{"description": "Main warehouse", "street": "1 Harbor Rd", "city": "Seattle", "postalCode": "98101", "countryCode": "US"},
			map[string]any{"description": "Store 12", "street": "12 Pine St", "city": "Tacoma", "postalCode": "98402", "countryCode": "us"},
		}}
	a.ok(saveAccount, map[string]any{"in": in}, &got)
	acc := got.SaveCustomerAccount
	// Codes are normalised: trimmed, upper-case codes, canonical language.
	if acc.AccountNumber != "US-002" || acc.Company.Code != "USMF" || acc.Currency != "USD" ||
		acc.ShipToCountry != "US" || acc.Language != "en-US" || acc.InvoiceAccount.AccountNumber != "US-003" ||
		acc.PriceList.Code != "RETAIL" || len(acc.DeliveryAddresses) != 2 || acc.DeliveryAddresses[1].CountryCode != "US" {
		t.Fatalf("saved account = %+v", acc)
	}
	firstAddressID := acc.DeliveryAddresses[0].ID

	// Saving again by natural key updates the same row: the name changes,
	// an address is dropped, and the one that stays keeps its id.
	in["name"] = "Sunrise Retail Inc."
	in["deliveryAddresses"] = []any{in["deliveryAddresses"].([]any)[0]}
	delete(in, "invoiceAccountNumber")
	a.ok(saveAccount, map[string]any{"in": in}, &got)
	if got.SaveCustomerAccount.ID != acc.ID || got.SaveCustomerAccount.Name != "Sunrise Retail Inc." {
		t.Fatalf("upsert made a new account or kept the name: %+v", got.SaveCustomerAccount)
	}
	if got.SaveCustomerAccount.InvoiceAccount.AccountNumber != "US-002" {
		t.Errorf("without an invoice account the account invoices itself, got %s", got.SaveCustomerAccount.InvoiceAccount.AccountNumber)
	}
	if len(got.SaveCustomerAccount.DeliveryAddresses) != 1 || got.SaveCustomerAccount.DeliveryAddresses[0].ID != firstAddressID {
		t.Errorf("addresses after replace = %+v, want only the first with id %s", got.SaveCustomerAccount.DeliveryAddresses, firstAddressID)
	}

	// Read back through customerAccount and legalEntities.
	var read struct {
		CustomerAccount struct {
			Name     string
			Contacts struct{ TotalCount int }
		}
		LegalEntities []struct{ Code, Name string }
	}
	a.ok(`query($id: ID!) { customerAccount(id: $id) { name contacts { totalCount } } legalEntities { code name } }`,
		map[string]any{"id": acc.ID}, &read)
	if read.CustomerAccount.Name != "Sunrise Retail Inc." {
		t.Errorf("customerAccount name %q", read.CustomerAccount.Name)
	}
	// An anonymous visitor reads the companies but no customer account:
	// the account reads as missing.
	a.viewer = nil
	var anon struct {
		CustomerAccount *struct{ Name string }
		LegalEntities   []struct{ Code, Name string }
	}
	a.ok(`query($id: ID!) { customerAccount(id: $id) { name } legalEntities { code name } }`, map[string]any{"id": acc.ID}, &anon)
	if anon.CustomerAccount != nil || len(anon.LegalEntities) != 2 {
		t.Errorf("anonymous read %+v", anon)
	}
	if diff := cmp.Diff([]struct{ Code, Name string }{{"DEMF", "Contoso Germany"}, {"USMF", "Contoso USA"}}, read.LegalEntities); diff != "" {
		t.Errorf("legalEntities (-want +got):\n%s", diff)
	}

	// Renaming a company by code keeps its id.
	var le1, le2 struct{ SaveLegalEntity struct{ ID, Name string } }
	a.viewer = admin
	a.ok(saveLegalEntity, map[string]any{"in": map[string]any{"code": "USMF", "name": "Contoso USA"}}, &le1)
	a.ok(saveLegalEntity, map[string]any{"in": map[string]any{"code": "usmf", "name": "Contoso Entertainment USA"}}, &le2)
	if le1.SaveLegalEntity.ID != le2.SaveLegalEntity.ID || le2.SaveLegalEntity.Name != "Contoso Entertainment USA" {
		t.Errorf("rename: %+v then %+v", le1, le2)
	}
}

func TestProductPriceExact(t *testing.T) {
	a := newAPI(t)
	seedCatalog(a)
	var pl struct{ SavePriceList struct{ ID string } }
	a.ok(savePriceList, map[string]any{"in": map[string]any{"code": "RETAIL", "company": "USMF", "currency": "USD", "prices": []any{
		// Units are codes in lower case; "EA" is the same unit.
		map[string]any{"productNumber": "1000", "unit": "EA", "unitPrice": "199.99"},
		map[string]any{"productNumber": "1000", "unit": "box", "unitPrice": "2159.892"},
	}}}, &pl)
	// The viewer's price list prices products; Decimals travel as exact
	// strings. Price lists are readable by authorized users (DESIGN §4).
	a.viewer = &portal.Viewer{ContactID: "00000000-0000-0000-0000-0000000000c1", PriceListID: pl.SavePriceList.ID,
		RoleKeys: []string{portal.RoleAuthorizedUser}}
	var got struct {
		Products struct {
			Edges []struct {
				Node struct {
					Number string
					Ea     *string
					Box    *string
					Def    *string
				}
			}
		}
	}
	a.ok(`{ products { edges { node { number ea: price(unit: "Ea") box: price(unit: "box") def: price } } } }`, nil, &got)
	e := got.Products.Edges
	if len(e) != 2 || *e[0].Node.Ea != "199.99" || *e[0].Node.Box != "2159.892" || *e[0].Node.Def != "199.99" {
		t.Fatalf("prices = %+v", e)
	}
	// Product 2000 lost its price when the list was replaced.
	if e[1].Node.Def != nil {
		t.Errorf("product 2000 still priced: %v", *e[1].Node.Def)
	}
	// An anonymous visitor has no price list, so no prices.
	a.viewer = nil
	a.ok(`{ products { edges { node { def: price } } } }`, nil, &got)
	if got.Products.Edges[0].Node.Def != nil {
		t.Errorf("anonymous sees a price")
	}
}

func TestMasterDataBadInput(t *testing.T) {
	a := newAPI(t)
	seedCatalog(a)
	account := func(change map[string]any) map[string]any {
		in := map[string]any{"accountNumber": "US-010", "name": "New", "company": "USMF", "currency": "USD",
			"shipToCountry": "US", "language": "en-US"}
		for k, v := range change {
			in[k] = v
		}
		return map[string]any{"in": in}
	}
	product := func(change map[string]any) map[string]any {
		in := map[string]any{"number": "3000", "name": "Remote", "company": "USMF", "units": []string{"ea"}, "defaultUnit": "ea"}
		for k, v := range change {
			in[k] = v
		}
		return map[string]any{"in": in}
	}
	priceList := func(prices ...map[string]any) map[string]any {
		ps := []any{}
		for _, p := range prices {
			ps = append(ps, p)
		}
		return map[string]any{"in": map[string]any{"code": "RETAIL", "company": "USMF", "currency": "USD", "prices": ps}}
	}
	price := func(number, unit, amount string) map[string]any {
		return map[string]any{"productNumber": number, "unit": unit, "unitPrice": amount}
	}
	tests := []struct {
		name      string
		mutation  string
		vars      map[string]any
		wantField string
		wantText  string
	}{
		{"legal entity: bad code", saveLegalEntity, map[string]any{"in": map[string]any{"code": "US MF!", "name": "x"}}, "input.code", "letters, digits"},
		{"legal entity: empty name", saveLegalEntity, map[string]any{"in": map[string]any{"code": "NEW", "name": " "}}, "input.name", "required"},
		{"account: unknown company", saveAccount, account(map[string]any{"company": "XXXX"}), "input.company", `Company "XXXX" does not exist`},
		{"account: invoice account in another company", saveAccount, account(map[string]any{"invoiceAccountNumber": "DE-001"}), "input.invoiceAccountNumber", "belongs to company DEMF"},
		{"account: unknown invoice account", saveAccount, account(map[string]any{"invoiceAccountNumber": "NOPE"}), "input.invoiceAccountNumber", "does not exist"},
		{"account: unknown currency", saveAccount, account(map[string]any{"currency": "XYZ"}), "input.currency", `Unknown currency code "XYZ"`},
		{"account: unknown country", saveAccount, account(map[string]any{"shipToCountry": "XX"}), "input.shipToCountry", "Unknown country code"},
		{"account: bad language", saveAccount, account(map[string]any{"language": "not a language"}), "input.language", "BCP 47"},
		{"account: unknown price list", saveAccount, account(map[string]any{"priceListCode": "NOPE"}), "input.priceListCode", "does not exist"},
		{"account: price list in another currency", saveAccount, account(map[string]any{"currency": "EUR", "priceListCode": "RETAIL"}), "input.priceListCode", "is in USD"},
		{"account: address without description", saveAccount, account(map[string]any{"deliveryAddresses": []any{
			map[string]any{"description": "", "street": "s", "city": "c", "postalCode": "p", "countryCode": "US"}}}), "input.deliveryAddresses[0].description", "description"},
		{"account: address in unknown country", saveAccount, account(map[string]any{"deliveryAddresses": []any{
			map[string]any{"description": "A", "street": "s", "city": "c", "postalCode": "p", "countryCode": "US"},
			map[string]any{"description": "B", "street": "s", "city": "c", "postalCode": "p", "countryCode": "QQ"}}}), "input.deliveryAddresses[1].countryCode", "Unknown country"},
		{"product: unknown company", saveProduct, product(map[string]any{"company": "NOPE"}), "input.company", "does not exist"},
		{"product: default unit not in units", saveProduct, product(map[string]any{"defaultUnit": "box"}), "input.defaultUnit", "not one of the product's units"},
		{"product: unknown unit", saveProduct, product(map[string]any{"units": []string{"ea", "furlong"}}), "input.units[1]", "Unknown unit"},
		{"product: no units", saveProduct, product(map[string]any{"units": []string{}}), "input.units", "at least one unit"},
		{"product: unit twice", saveProduct, product(map[string]any{"units": []string{"ea", "EA"}}), "input.units[1]", "twice"},
		{"price list: unknown currency", savePriceList, map[string]any{"in": map[string]any{"code": "X", "company": "USMF", "currency": "ABC", "prices": []any{}}}, "input.currency", "Unknown currency"},
		{"price list: unknown company", savePriceList, map[string]any{"in": map[string]any{"code": "X", "company": "NOPE", "currency": "USD", "prices": []any{}}}, "input.company", "does not exist"},
		{"price list: negative price", savePriceList, priceList(price("1000", "ea", "1.00"), price("1000", "box", "-0.01")), "input.prices[1].unitPrice", "negative"},
		{"price list: unit not in product's units", savePriceList, priceList(price("1000", "kg", "1.00")), "input.prices[0].unit", "not one of product 1000's units"},
		{"price list: unknown product", savePriceList, priceList(price("9999", "ea", "1.00")), "input.prices[0].productNumber", "does not exist"},
		{"price list: too many decimals", savePriceList, priceList(price("1000", "ea", "1.00001")), "input.prices[0].unitPrice", "more than 4 decimals"},
		{"price list: priced twice", savePriceList, priceList(price("1000", "ea", "1"), price("1000", "ea", "2")), "input.prices[1]", "priced twice"},
		{"price list: currency change under a USD account", savePriceList, map[string]any{"in": map[string]any{"code": "RETAIL", "company": "USMF", "currency": "EUR", "prices": []any{}}}, "input.currency", "Account US-"},
		{"price list: price not a decimal", savePriceList, priceList(price("1000", "ea", "ten")), "", "not a decimal"},
		{"price list: price too large", savePriceList, priceList(price("1000", "ea", "1000000000000000")), "input.prices[0].unitPrice", "too large"},
		{"account: number too long", saveAccount, account(map[string]any{"accountNumber": strings.Repeat("9", 101)}), "input.accountNumber", "longer than 100"},
		{"account: name too long", saveAccount, account(map[string]any{"name": strings.Repeat("n", 201)}), "input.name", "longer than 200"},
		{"account: address without street", saveAccount, account(map[string]any{"deliveryAddresses": []any{
			map[string]any{"description": "A", "street": "", "city": "c", "postalCode": "p", "countryCode": "US"}}}), "input.deliveryAddresses[0].street", "street"},
		{"product: number too long", saveProduct, product(map[string]any{"number": strings.Repeat("7", 6000)}), "input.number", "longer than 100"},
	}
	// One account uses RETAIL, so changing its currency must be refused.
	a.ok(saveAccount, map[string]any{"in": map[string]any{"accountNumber": "US-005", "name": "Uses retail", "company": "USMF",
		"currency": "USD", "priceListCode": "RETAIL", "shipToCountry": "US", "language": "en"}}, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.t = t
			before := snapshot(t, a.db)
			e := a.fails(tt.mutation, tt.vars, "BAD_USER_INPUT")
			if tt.wantField != "" && e.Extensions["field"] != tt.wantField {
				t.Errorf("field = %v, want %s (%s)", e.Extensions["field"], tt.wantField, e.Message)
			}
			if !strings.Contains(e.Message, tt.wantText) {
				t.Errorf("message %q does not contain %q", e.Message, tt.wantText)
			}
			if after := snapshot(t, a.db); after != before {
				t.Errorf("refused mutation changed the database:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func TestMasterDataNeedsAdministrator(t *testing.T) {
	tests := []struct {
		name     string
		viewer   *portal.Viewer
		wantCode string
	}{
		{"anonymous", nil, "UNAUTHENTICATED"},
		{"signed-in non-admin", &portal.Viewer{ContactID: "00000000-0000-0000-0000-000000000001",
			RoleKeys: []string{portal.RoleAuthorizedUser}}, "FORBIDDEN"},
		{"administrator", admin, ""},
	}
	mutations := []struct {
		query string
		in    map[string]any
	}{
		{saveLegalEntity, map[string]any{"code": "USMF", "name": "Contoso"}},
		{saveProduct, map[string]any{"number": "1", "name": "P", "company": "USMF", "units": []string{"ea"}, "defaultUnit": "ea"}},
		{savePriceList, map[string]any{"code": "PL", "company": "USMF", "currency": "USD", "prices": []any{}}},
		{saveAccount, map[string]any{"accountNumber": "A", "name": "A", "company": "USMF", "currency": "USD", "shipToCountry": "US", "language": "en"}},
		{`mutation($in: UnitInput!) { saveUnit(input: $in) { code } }`, map[string]any{"code": "crate", "name": "Crate", "decimals": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAPI(t)
			a.viewer = tt.viewer
			for _, m := range mutations {
				if tt.wantCode == "" {
					a.ok(m.query, map[string]any{"in": m.in}, nil)
					continue
				}
				before := snapshot(t, a.db)
				a.fails(m.query, map[string]any{"in": m.in}, tt.wantCode)
				if snapshot(t, a.db) != before {
					t.Errorf("refused %s changed the database", m.query)
				}
				// Callers without the right still read the catalog.
				a.ok(`{ legalEntities { code } }`, nil, nil)
			}
		})
	}
}

func TestProductsPagination(t *testing.T) {
	a := newAPI(t)
	seedCatalog(a)
	// 1,000 more products, inserted directly: the fixture is the data, the
	// API under test is the reading.
	ctx := context.Background()
	_, err := a.db.ExecContext(ctx, `
		WITH le AS (SELECT id FROM legal_entity WHERE code = 'USMF'),
		p AS (INSERT INTO product (legal_entity_id, number, name, default_unit)
			SELECT le.id, 'P' || lpad(g::text, 5, '0'), 'Widget ' || g, 'ea' FROM le, generate_series(1, 1000) g
			RETURNING id)
		INSERT INTO product_unit (product_id, unit, position) SELECT id, 'ea', 1 FROM p`)
	if err != nil {
		t.Fatal(err)
	}
	type page struct {
		Products struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage bool
				EndCursor   *string
			}
			Edges []struct {
				Cursor string
				Node   struct{ Number string }
			}
		}
	}
	const q = `query($first: Int, $after: String, $search: String) { products(first: $first, after: $after, search: $search) {
		totalCount pageInfo { hasNextPage endCursor } edges { cursor node { number } } } }`
	var numbers []string
	var after *string
	pages := 0
	for {
		var p page
		a.ok(q, map[string]any{"first": 100, "after": after}, &p)
		pages++
		if want := map[bool]int{true: 1002, false: 1003}[pages <= 3]; p.Products.TotalCount != want {
			t.Fatalf("page %d: totalCount %d, want %d", pages, p.Products.TotalCount, want)
		}
		for _, e := range p.Products.Edges {
			numbers = append(numbers, e.Node.Number)
		}
		if len(p.Products.Edges) > 0 && p.Products.Edges[len(p.Products.Edges)-1].Cursor != *p.Products.PageInfo.EndCursor {
			t.Fatal("endCursor is not the last edge's cursor")
		}
		if pages == 3 {
			// A product added behind the reader's position does not shift
			// the pages still to come.
			if _, err := a.db.ExecContext(ctx, `WITH p AS (INSERT INTO product (legal_entity_id, number, name, default_unit)
				SELECT id, '0001', 'Early', 'ea' FROM legal_entity WHERE code = 'USMF' RETURNING id)
				INSERT INTO product_unit SELECT id, 'ea', 1 FROM p`); err != nil {
				t.Fatal(err)
			}
			// The total now counts it, and the pages keep going from where they were.
			var p2 page
			a.ok(q, map[string]any{"first": 0, "after": p.Products.PageInfo.EndCursor}, &p2)
			if p2.Products.TotalCount != 1003 {
				t.Fatalf("totalCount after insert %d", p2.Products.TotalCount)
			}
		}
		if !p.Products.PageInfo.HasNextPage {
			break
		}
		after = p.Products.PageInfo.EndCursor
	}
	if pages != 11 || len(numbers) != 1002 {
		t.Fatalf("%d pages with %d products, want 11 pages and 1002 (the early insert sorts before the cursor)", pages, len(numbers))
	}
	seen := map[string]bool{}
	for i, n := range numbers {
		if seen[n] {
			t.Fatalf("product %s seen twice", n)
		}
		seen[n] = true
		if i > 0 && numbers[i-1] >= n {
			t.Fatalf("not in number order at %d: %s then %s", i, numbers[i-1], n)
		}
	}

	// Search narrows the list and the total.
	var s page
	a.ok(q, map[string]any{"first": 5, "search": "widget 99"}, &s)
	// "Widget 99", "Widget 990".."Widget 999": 11 products.
	if s.Products.TotalCount != 11 || len(s.Products.Edges) != 5 || !s.Products.PageInfo.HasNextPage {
		t.Errorf("search: total %d, %d edges, next %v", s.Products.TotalCount, len(s.Products.Edges), s.Products.PageInfo.HasNextPage)
	}
	// LIKE wildcards in the search are literal.
	a.ok(q, map[string]any{"search": "%"}, &s)
	if s.Products.TotalCount != 0 {
		t.Errorf("search %% matched %d products", s.Products.TotalCount)
	}

	// Bad page arguments are the caller's to fix.
	for _, vars := range []map[string]any{
		{"first": 101}, {"first": -1}, {"after": "not-a-cursor"}, {"after": "WyJ4IiwieSJd"}, // ["x","y"]: not a product id
	} {
		e := a.fails(q, vars, "BAD_USER_INPUT")
		if e.Extensions["field"] == nil {
			t.Errorf("%v: no field in %+v", vars, e)
		}
	}
}

func TestUnreadableOrMissingIsNull(t *testing.T) {
	a := newAPI(t)
	for _, id := range []string{"not-a-uuid", "3f2504e0-4f89-11d3-9a0c-0305e82c3301", ""} {
		var got struct{ CustomerAccount *struct{ ID string } }
		a.ok(`query($id: ID!) { customerAccount(id: $id) { id } }`, map[string]any{"id": id}, &got)
		if got.CustomerAccount != nil {
			t.Errorf("customerAccount(%q) = %+v, want null", id, got.CustomerAccount)
		}
	}
}
