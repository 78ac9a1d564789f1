package orders_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/app"
	"github.com/openportal/portal/catalog"
	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/dualwrite"
	"github.com/openportal/portal/identity"
	"github.com/openportal/portal/orders"
	"github.com/openportal/portal/paging"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestCanAdvance(t *testing.T) {
	all := []orders.Status{orders.Draft, orders.Submitted, orders.Confirmed, orders.Picked, orders.PartiallyDelivered,
		orders.Delivered, orders.PartiallyInvoiced, orders.Invoiced, orders.Cancelled}
	tests := []struct {
		from orders.Status
		to   []orders.Status // every status from may move to
	}{
		{orders.Draft, nil},
		{orders.Submitted, all[2:]},
		{orders.Confirmed, all[3:]},
		{orders.Picked, all[4:]},
		{orders.PartiallyDelivered, all[5:]},
		{orders.Delivered, all[6:]},
		{orders.PartiallyInvoiced, all[7:]},
		{orders.Invoiced, nil},
		{orders.Cancelled, nil},
	}
	for _, tt := range tests {
		t.Run(string(tt.from), func(t *testing.T) {
			allowed := map[orders.Status]bool{}
			for _, s := range tt.to {
				allowed[s] = true
			}
			for _, to := range all {
				if got := orders.CanAdvance(tt.from, to); got != allowed[to] {
					t.Errorf("CanAdvance(%s, %s) = %v, want %v", tt.from, to, got, allowed[to])
				}
			}
		})
	}
}

// fixture is a company in yen (no minor units) with one product, an account
// and an authorized user of it, and the services as that user.
type fixture struct {
	svc    *orders.Service
	ctx    context.Context
	widget string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	d := dbtest.New(t)
	a, err := app.New(context.Background(), d, app.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	cat, ids := a.Catalog, a.Identity
	ctx := portal.WithViewer(context.Background(), &portal.Viewer{RoleKeys: []string{portal.RoleAdministrators}})
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(cat.SaveLegalEntity(ctx, catalog.LegalEntityInput{Code: "JPMF", Name: "Contoso Japan"}))
	p, err := cat.SaveProduct(ctx, catalog.ProductInput{Number: "W1", Name: "Widget", Company: "JPMF", Units: []string{"kg"}, DefaultUnit: "kg"})
	must(p, err)
	must(cat.SavePriceList(ctx, catalog.PriceListInput{Code: "JPY", Company: "JPMF", Currency: "JPY",
		Prices: []*catalog.PriceInput{{ProductNumber: "W1", Unit: "kg", UnitPrice: decimal.RequireFromString("333.3333")}}}))
	code := "JPY"
	must(cat.SaveCustomerAccount(ctx, catalog.CustomerAccountInput{AccountNumber: "JP-001", Name: "Tokyo Trading", Company: "JPMF",
		Currency: "JPY", PriceListCode: &code, ShipToCountry: "JP", Language: "ja-JP",
		DeliveryAddresses: []*catalog.AddressInput{{Description: "Warehouse", Street: "1-1 Chiyoda", City: "Tokyo", PostalCode: "100-0001", CountryCode: "JP"}}}))
	c, err := ids.CreateSeedContact(ctx, identity.SeedContact{Email: "kenji@tokyo.example", Password: "kenji-password",
		FirstName: "Kenji", LastName: "Sato", Company: "JPMF", AccountNumber: "JP-001", RoleKeys: []string{portal.RoleAuthorizedUser}})
	must(c, err)
	v, err := ids.ViewerFor(context.Background(), c.ID)
	must(v, err)
	return &fixture{svc: a.Orders, ctx: portal.WithViewer(context.Background(), v), widget: p.ID}
}

// TestAmountsInMinorUnits: a line amount is rounded to the currency's minor
// units (yen has none), half away from zero; the total is the exact sum.
func TestAmountsInMinorUnits(t *testing.T) {
	f := newFixture(t)
	o, err := f.svc.Create(f.ctx, orders.InformationInput{RequestedReceiptDate: time.Now().AddDate(0, 0, 7)})
	if err != nil {
		t.Fatal(err)
	}
	if o.Number != "WEB-000001" || o.Currency != "JPY" || o.Language != "ja-JP" || o.DeliveryAddressDescription != "Warehouse" {
		t.Fatalf("order %+v", o)
	}
	tests := []struct {
		quantity, amount string
	}{
		{"1", "333"},       // 333.3333
		{"1.5", "500"},     // 499.99995
		{"0.003", "1"},     // 0.9999999
		{"0.001", "0"},     // 0.3333333
		{"3", "1000"},      // 999.9999
		{"2.001", "667"},   // 666.9999333
		{"0.009", "3"},     // 2.9999997
		{"12.345", "4115"}, // 4114.9995885
	}
	total := decimal.Zero
	for _, tt := range tests {
		t.Run(tt.quantity, func(t *testing.T) {
			got, err := f.svc.AddLine(f.ctx, o.ID, orders.LineInput{ProductID: f.widget, Quantity: decimal.RequireFromString(tt.quantity), Unit: "KG"})
			if err != nil {
				t.Fatal(err)
			}
			o = got
			l := o.Lines[len(o.Lines)-1]
			if l.Amount.String() != tt.amount || l.Unit != "kg" {
				t.Errorf("amount of %s kg = %s %s, want %s", tt.quantity, l.Amount, l.Unit, tt.amount)
			}
			total = total.Add(l.Amount)
		})
	}
	if !o.TotalAmount.Equal(total) {
		t.Errorf("total %s, want the sum of the lines %s", o.TotalAmount, total)
	}
}

// TestAdvance: the ERP moves submitted orders forward only.
func TestAdvance(t *testing.T) {
	f := newFixture(t)
	o, err := f.svc.Create(f.ctx, orders.InformationInput{RequestedReceiptDate: time.Now().AddDate(0, 0, 7)})
	if err != nil {
		t.Fatal(err)
	}
	// The ERP's own principal, as the inbound endpoint acts; anybody else
	// needs WRITE on the order like for any change (it bypassed the
	// permissions before).
	system, err := dualwrite.ERPViewer(context.Background(), f.svc.DB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Advance(system, "JPMF", o.Number, orders.Confirmed, ""); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Fatalf("advancing a draft: %v, want conflict", err)
	}
	if _, err := f.svc.AddLine(f.ctx, o.ID, orders.LineInput{ProductID: f.widget, Quantity: decimal.NewFromInt(1), Unit: "kg"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Submit(f.ctx, o.ID); err != nil {
		t.Fatal(err)
	}
	for name, ctx := range map[string]context.Context{"anonymous": context.Background(), "the customer": f.ctx} {
		if _, err := f.svc.Advance(ctx, "JPMF", o.Number, orders.Confirmed, "X"); portal.ErrorCode(err) != portal.EFORBIDDEN && portal.ErrorCode(err) != portal.ENOTFOUND {
			t.Errorf("%s advancing the order: %v, want forbidden", name, err)
		}
	}
	steps := []struct {
		name   string
		status orders.Status
		erp    string
		code   string // "" for success
		want   orders.Status
		wantNo *string
	}{
		{"confirmed with the ERP's number", orders.Confirmed, "SO-000123", "", orders.Confirmed, ptr("SO-000123")},
		{"same status again is harmless", orders.Confirmed, "", "", orders.Confirmed, ptr("SO-000123")},
		{"skipping steps", orders.Delivered, "", "", orders.Delivered, ptr("SO-000123")},
		{"backwards", orders.Picked, "", portal.ECONFLICT, orders.Delivered, nil},
		{"not an ERP status", orders.Submitted, "", portal.EINVALID, orders.Delivered, nil},
		{"unknown status", orders.Status("SHIPPED"), "", portal.EINVALID, orders.Delivered, nil},
		{"invoiced", orders.Invoiced, "", "", orders.Invoiced, ptr("SO-000123")},
		{"cancelling an invoiced order", orders.Cancelled, "", portal.ECONFLICT, orders.Invoiced, nil},
	}
	for _, tt := range steps {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.svc.Advance(system, "jpmf", o.Number, tt.status, tt.erp)
			if portal.ErrorCode(err) != tt.code {
				t.Fatalf("err %v, want code %q", err, tt.code)
			}
			if err == nil && (got.Status != tt.want || got.ErpOrderNumber == nil || *got.ErpOrderNumber != *tt.wantNo || got.SyncState != "SYNCED") {
				t.Errorf("order %s %v %s", got.Status, got.ErpOrderNumber, got.SyncState)
			}
			now, _ := f.svc.Order(f.ctx, o.ID)
			if now.Status != tt.want {
				t.Errorf("stored status %s, want %s", now.Status, tt.want)
			}
		})
	}
	if _, err := f.svc.Advance(system, "JPMF", "WEB-999999", orders.Confirmed, ""); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("unknown order: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestOrderQuantityTrailingZeros: a quantity is checked against its unit's
// decimals by value, so trailing zeros, however many, do not count; and
// an absurd exponent is refused at once. (The API's Decimal scalar takes at
// most 40 characters; the service takes any decimal.)
func TestOrderQuantityTrailingZeros(t *testing.T) {
	f := newFixture(t)
	o, err := f.svc.Create(f.ctx, orders.InformationInput{RequestedReceiptDate: time.Now().AddDate(0, 0, 7)})
	if err != nil {
		t.Fatal(err)
	}
	zeros := func(n int) string { return strings.Repeat("0", n) }
	big := func(s string, exp int32) decimal.Decimal { // s × 10^exp, past what strings may say
		return decimal.NewFromBigInt(decimal.RequireFromString(s).BigInt(), exp)
	}
	tests := []struct {
		name     string
		quantity decimal.Decimal
		want     string // "" when refused
	}{
		{"2 and 60 zeros", decimal.RequireFromString("2." + zeros(60)), "2"},
		{"1.5 and 200 zeros", decimal.RequireFromString("1.5" + zeros(200)), "1.5"},
		{"1250 as a coefficient with 50 zeros", decimal.RequireFromString("1250" + zeros(50) + "e-50"), "1250"},
		{"1.0001", decimal.RequireFromString("1.0001"), ""},
		{"1 and 60 zeros and 1", decimal.RequireFromString("1." + zeros(60) + "1"), ""},
		{"1e-999999999", decimal.New(1, -999999999), ""},
		{"1000 digits e-999999999", big("1"+zeros(1000), -999999999), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			got, err := f.svc.AddLine(f.ctx, o.ID, orders.LineInput{ProductID: f.widget, Quantity: tt.quantity, Unit: "kg"})
			if time.Since(start) > 5*time.Second {
				t.Errorf("took %v", time.Since(start))
			}
			if tt.want == "" {
				if portal.ErrorCode(err) != portal.EINVALID || !strings.Contains(err.Error(), "decimals") {
					t.Errorf("err %v, want a refusal for its decimals", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l := got.Lines[len(got.Lines)-1]; l.Quantity.String() != tt.want {
				t.Errorf("quantity %s, want %s", l.Quantity, tt.want)
			}
		})
	}
}

// TestOrderDatesOutOfRange: days PostgreSQL cannot hold are bad input naming the
// field, whatever the API's Date scalar lets through; so is a receipt date
// too far ahead to be meant.
func TestOrderDatesOutOfRange(t *testing.T) {
	f := newFixture(t)
	year0 := time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC)
	year10000 := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name   string
		filter orders.Filter
		field  string
	}{
		{"submittedFrom in year 0", orders.Filter{SubmittedFrom: &year0}, "submittedFrom"},
		{"submittedTo in year 0", orders.Filter{SubmittedTo: &year0}, "submittedTo"},
		{"submittedFrom in year 10000", orders.Filter{SubmittedFrom: &year10000}, "submittedFrom"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Orders(f.ctx, tt.filter, paging.Args{})
			if e, ok := err.(*portal.Error); !ok || e.Code != portal.EINVALID || e.Field != tt.field {
				t.Errorf("err %v, want bad input on %s", err, tt.field)
			}
		})
	}
	now := time.Now().UTC()
	for _, tt := range []struct {
		name string
		date time.Time
		says string
	}{
		{"year 0", year0, "0001-01-01"},
		{"year 10000", year10000, "0001-01-01"},
		{"three years ahead", now.AddDate(3, 0, 0), "more than two years ahead"},
	} {
		t.Run("requested receipt date "+tt.name, func(t *testing.T) {
			_, err := f.svc.Create(f.ctx, orders.InformationInput{RequestedReceiptDate: tt.date})
			if e, ok := err.(*portal.Error); !ok || e.Code != portal.EINVALID || e.Field != "requestedReceiptDate" || !strings.Contains(e.Message, tt.says) {
				t.Errorf("err %v, want bad input on input.requestedReceiptDate saying %q", err, tt.says)
			}
		})
	}
	if _, err := f.svc.Create(f.ctx, orders.InformationInput{RequestedReceiptDate: now.AddDate(2, 0, 0)}); err != nil {
		t.Errorf("two years ahead: %v", err)
	}
}
