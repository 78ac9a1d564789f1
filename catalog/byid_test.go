package catalog_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/uptrace/bun"

	"github.com/openportal/portal/catalog"
	"github.com/openportal/portal/db/dbtest"
)

// TestByIDMatchModel: the batch reads behind the dataloaders
// (LegalEntitiesByID, PriceListsByID, CustomerAccountsByID), which bind
// their ids and scan listed columns by hand (db.Query), answer every field
// as bun's model read does, nullable ones set and unset, in the order
// asked, nil for an unknown id. (Who may read which row is the permission
// matrix's, policies/matrix_test.go.)
func TestByIDMatchModel(t *testing.T) {
	d := dbtest.New(t)
	a := newApp(t, d)
	cat := a.Catalog
	ctx := asAdmin
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(cat.SaveLegalEntity(ctx, catalog.LegalEntityInput{Code: "JPMF", Name: "Contoso Japan"}))
	must(cat.SaveLegalEntity(ctx, catalog.LegalEntityInput{Code: "USMF", Name: "Contoso US"}))
	must(cat.SavePriceList(ctx, catalog.PriceListInput{Code: "JPY", Company: "JPMF", Currency: "JPY"}))
	must(cat.SavePriceList(ctx, catalog.PriceListInput{Code: "USD", Company: "USMF", Currency: "USD"}))
	code := "JPY"
	for _, in := range []catalog.CustomerAccountInput{
		{AccountNumber: "JP-001", Name: "Tokyo Trading", Company: "JPMF", Currency: "JPY", PriceListCode: &code, ShipToCountry: "JP", Language: "ja-JP"},
		{AccountNumber: "JP-002", Name: "Osaka Trading", Company: "JPMF", Currency: "JPY", ShipToCountry: "JP", Language: "ja-JP"},
	} {
		must(cat.SaveCustomerAccount(ctx, in))
	}
	const unknown = "00000000-0000-0000-0000-000000000000"
	// ids reads a table's ids (in descending order, as the model reads
	// below), then an unknown one.
	ids := func(table string) []string {
		var ids []string
		if err := d.NewRaw("SELECT id::text FROM "+table+" ORDER BY id DESC").Scan(context.Background(), &ids); err != nil {
			t.Fatal(err)
		}
		if len(ids) < 2 {
			t.Fatalf("%s has %d rows, want 2 to compare", table, len(ids))
		}
		return append(ids, unknown)
	}
	t.Run("LegalEntitiesByID", func(t *testing.T) {
		ask := ids("legal_entity")
		var want []*catalog.LegalEntity
		if err := d.NewSelect().Model(&want).Where("id IN (?)", bun.List(ask)).OrderExpr("id DESC").Scan(context.Background()); err != nil {
			t.Fatal(err)
		}
		got, err := cat.LegalEntitiesByID(ctx, ask)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(append(want, nil), got); diff != "" {
			t.Errorf("(-model +read):\n%s", diff)
		}
	})
	t.Run("PriceListsByID", func(t *testing.T) {
		ask := append([]string{unknown}, ids("price_list")...)
		var want []*catalog.PriceList
		if err := d.NewSelect().Model(&want).Where("id IN (?)", bun.List(ask)).OrderExpr("id DESC").Scan(context.Background()); err != nil {
			t.Fatal(err)
		}
		got, err := cat.PriceListsByID(ctx, ask)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(append(append([]*catalog.PriceList{nil}, want...), nil), got); diff != "" {
			t.Errorf("(-model +read):\n%s", diff)
		}
	})
	t.Run("CustomerAccountsByID", func(t *testing.T) {
		ask := ids("customer_account")
		var want []*catalog.CustomerAccount
		if err := d.NewSelect().Model(&want).Where("id IN (?)", bun.List(ask)).OrderExpr("id DESC").Scan(context.Background()); err != nil {
			t.Fatal(err)
		}
		if (want[0].PriceListID == nil) == (want[1].PriceListID == nil) {
			t.Fatalf("want one account with a price list and one without: %+v", want)
		}
		got, err := cat.CustomerAccountsByID(ctx, ask)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(append(want, nil), got); diff != "" {
			t.Errorf("(-model +read):\n%s", diff)
		}
	})
}
