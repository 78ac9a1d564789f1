package catalog

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/paging"
	"github.com/openportal/portal/policies"
)

// productColumns selects a product with its units in their order.
const productColumns = `p.id, p.legal_entity_id, p.number, p.name, p.default_unit,
	ARRAY(SELECT pu.unit FROM product_unit pu WHERE pu.product_id = p.id ORDER BY pu.position) AS units`

// scanProduct reads rows of productColumns (db.Query), with one string
// for each company and default unit the products share (str).
func scanProduct(str *db.Strings) func(pgx.Rows) (*Product, error) {
	return func(rows pgx.Rows) (*Product, error) {
		str.Row()
		p := new(Product)
		err := rows.Scan(&p.ID, str.String(&p.LegalEntityID), &p.Number, &p.Name, str.String(&p.DefaultUnit), &p.Units)
		return p, err
	}
}

// SaveProduct creates the product with this company and number, or changes
// it. Units must be known units of measure, listed once, and include the
// default unit. Removing a unit removes the prices in that unit.
// Returns EINVALID naming the field at fault (nothing is written),
// EUNAUTHENTICATED/EFORBIDDEN when the viewer may not change products.
func (s *Service) SaveProduct(ctx context.Context, in ProductInput) (*Product, error) {
	if err := s.mayUpsert(ctx, policies.TableProduct); err != nil {
		return nil, err
	}
	p, err := db.TxValue(ctx, s.DB, func(ctx context.Context, tx bun.Tx) (*Product, error) {
		// Built here, not outside: db.Tx may run this function again.
		p := &Product{Number: trim(in.Number), Name: trim(in.Name), DefaultUnit: strings.ToLower(trim(in.DefaultUnit))}
		var v validator
		v.check(p.Number != "", "number", "Product number is required.")
		v.length("number", p.Number, maxCodeLength)
		v.check(p.Name != "", "name", "Product name is required.")
		v.length("name", p.Name, maxNameLength)
		v.check(len(in.Units) > 0, "units", "A product needs at least one unit.")
		if v.err == nil {
			p.LegalEntityID, v.err = companyID(ctx, tx, "company", upperCode(in.Company))
		}
		seen := map[string]bool{}
		for i, u := range in.Units {
			u = strings.ToLower(trim(u))
			f := fmt.Sprintf("units[%d]", i)
			v.check(!seen[u], f, "Unit %q is listed twice.", u)
			seen[u] = true
			if v.err == nil {
				ok, err := exists(ctx, tx, "SELECT 1 FROM unit WHERE code = ?", u)
				v.fail(err)
				v.check(ok, f, "Unknown unit %q: use a unit of measure that exists (e.g. ea, box, kg) or create it with saveUnit.", u)
			}
			p.Units = append(p.Units, u)
		}
		v.check(seen[p.DefaultUnit], "defaultUnit", "Default unit %q is not one of the product's units %v.", p.DefaultUnit, p.Units)
		if v.err != nil {
			return nil, v.err
		}
		found, err := exists(ctx, tx, "SELECT 1 FROM product WHERE legal_entity_id = ? AND number = ?", p.LegalEntityID, p.Number)
		if err != nil {
			return nil, err
		}
		if err := s.requireSave(ctx, policies.TableProduct, found); err != nil {
			return nil, err
		}
		err = tx.NewRaw(`
			INSERT INTO product (legal_entity_id, number, name, default_unit) VALUES (?, ?, ?, ?)
			ON CONFLICT (legal_entity_id, number) DO UPDATE SET name = EXCLUDED.name,
				default_unit = EXCLUDED.default_unit, updated_at = now()
			RETURNING id`, p.LegalEntityID, p.Number, p.Name, p.DefaultUnit).Scan(ctx, &p.ID)
		if err != nil {
			return nil, err
		}
		// Delete only the units that went away: deleting all and inserting
		// again would cascade to every price of the product.
		if _, err := tx.NewDelete().TableExpr("product_unit").
			Where("product_id = ? AND unit NOT IN (?)", p.ID, bun.List(p.Units)).Exec(ctx); err != nil {
			return nil, err
		}
		for i, u := range p.Units {
			if _, err := tx.ExecContext(ctx, `INSERT INTO product_unit (product_id, unit, position) VALUES (?, ?, ?)
				ON CONFLICT (product_id, unit) DO UPDATE SET position = EXCLUDED.position`, p.ID, u, i+1); err != nil {
				return nil, err
			}
		}
		return p, nil
	})
	if err == nil && s.ProductCache != nil {
		// This instance reads its own change at once; the others drop
		// theirs on the NOTIFY of its commit.
		s.ProductCache.invalidate()
	}
	return p, err
}

// ProductFilter selects a page of products.
type ProductFilter struct {
	// Search matches number or name, case-insensitively, anywhere.
	Search *string
	paging.Args
}

// Products returns a page of products in number order.
// Returns EINVALID for a bad page size or cursor.
func (s *Service) Products(ctx context.Context, f ProductFilter) (paging.Page[*Product], error) {
	var page paging.Page[*Product]
	if err := s.Policy.Require(ctx, policies.TableProduct, policies.Read); err != nil {
		return page, err
	}
	var afterNumber, afterID string
	limit, hasAfter, err := f.Start(&afterNumber, &afterID)
	if err != nil {
		return page, err
	}
	if hasAfter && !db.ValidID(afterID) {
		return page, paging.ErrBadCursor(f.Args)
	}
	where := func(q *bun.SelectQuery) *bun.SelectQuery {
		if f.Search != nil && trim(*f.Search) != "" {
			q = q.Where("(p.number || ' ' || p.name) ILIKE ?", "%"+db.EscapeLike(trim(*f.Search))+"%")
		}
		return q
	}
	total, err := where(s.DB.NewSelect().TableExpr("product AS p")).Count(ctx)
	if err != nil {
		return page, err
	}
	var rows []*Product
	q := where(s.DB.NewSelect().TableExpr("product AS p").ColumnExpr(productColumns))
	if hasAfter {
		q = q.Where("(p.number, p.id) > (?, ?)", afterNumber, afterID)
	}
	if err := q.OrderExpr("p.number, p.id").Limit(int64(limit+1)).Scan(ctx, &rows); err != nil {
		return page, err
	}
	return paging.Trim(rows, limit, func(p *Product) string { return paging.Cursor(p.Number, p.ID) }, int(total)), nil
}

// ProductsByID returns the products with these ids in the same order, nil
// where there is none or the viewer may not read it.
func (s *Service) ProductsByID(ctx context.Context, ids []string) ([]*Product, error) {
	var rows []*Product
	if valid := db.ValidIDs(ids); len(valid) > 0 && s.Policy.EveryRow(ctx, policies.TableProduct, policies.Read) {
		read, version := valid, int64(0)
		if s.ProductCache != nil {
			var cached []*Product
			cached, read, version = s.ProductCache.lookup(valid)
			for _, p := range cached {
				if p != nil {
					rows = append(rows, p)
				}
			}
		}
		if len(read) > 0 {
			// Bound, not formatted: one statement text for every set of ids.
			got, err := db.Query(ctx, s.DB, make([]*Product, 0, len(read)), scanProduct(db.NewStrings()),
				"SELECT "+productColumns+" FROM product p WHERE p.id = ANY(?::uuid[])", db.UUIDs(read))
			if err != nil {
				return nil, err
			}
			if s.ProductCache != nil {
				s.ProductCache.store(version, got)
			}
			rows = append(rows, got...)
		}
	}
	return db.InOrder(ids, rows, func(p *Product) string { return p.ID }), nil
}
