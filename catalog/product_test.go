package catalog_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/openportal/portal/catalog"
	"github.com/openportal/portal/db/dbtest"
	"github.com/openportal/portal/paging"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestProductsByID: the batch read (scanned by hand, db.Query) answers
// every field as the product list (bun's model scan) does, units in their
// order, in the order asked, with nil for an unknown or malformed id.
func TestProductsByID(t *testing.T) {
	d := dbtest.New(t)
	a := newApp(t, d)
	ctx := asAdmin
	if _, err := a.Catalog.SaveLegalEntity(ctx, catalog.LegalEntityInput{Code: "JPMF", Name: "Contoso Japan"}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, in := range []catalog.ProductInput{
		{Number: "W1", Name: "Widget", Company: "JPMF", Units: []string{"kg", "ea"}, DefaultUnit: "ea"},
		{Number: "W2", Name: "Gadget", Company: "JPMF", Units: []string{"m"}, DefaultUnit: "m"},
	} {
		p, err := a.Catalog.SaveProduct(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	list, err := a.Catalog.Products(ctx, catalog.ProductFilter{Args: paging.Args{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 2 || len(list.Items[0].Units) != 2 {
		t.Fatalf("product list %+v", list.Items)
	}
	const unknown = "00000000-0000-0000-0000-000000000000"
	for _, c := range []struct {
		name string
		ctx  context.Context
		ids  []string
		want []*catalog.Product
	}{
		{"in the order asked", ctx, []string{ids[1], ids[0]}, []*catalog.Product{list.Items[1], list.Items[0]}},
		{"unknown and malformed ids", ctx, []string{unknown, ids[0], "nope"}, []*catalog.Product{nil, list.Items[0], nil}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := a.Catalog.ProductsByID(c.ctx, c.ids)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
