package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/policies"
)

// maxPriceDecimals is the scale of the price columns, and maxPrice the
// first value their precision (numeric(19,4)) cannot hold.
const maxPriceDecimals = 4

var maxPrice = decimal.New(1, 15)

// SavePriceList creates the price list with this company and code, or
// changes it; its prices become exactly the given ones. Each price names a
// product of the company, one of that product's units, and a price of zero
// or more with at most 4 decimals.
// Returns EINVALID naming the field at fault (nothing is written),
// EUNAUTHENTICATED/EFORBIDDEN when the viewer may not change price lists.
func (s *Service) SavePriceList(ctx context.Context, in PriceListInput) (*PriceList, error) {
	if err := s.mayUpsert(ctx, policies.TablePriceList); err != nil {
		return nil, err
	}
	pl := &PriceList{Code: trim(in.Code), Currency: upperCode(in.Currency)}
	company := upperCode(in.Company)
	type row struct {
		productID string
		unit      string
		price     decimal.Decimal
	}
	err := db.Tx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		var v validator
		v.check(pl.Code != "", "code", "Price list code is required.")
		v.length("code", pl.Code, maxCodeLength)
		if v.err == nil {
			pl.LegalEntityID, v.err = companyID(ctx, tx, "company", company)
		}
		if v.err == nil {
			v.fail(checkCurrency(ctx, tx, "currency", pl.Currency))
		}
		if v.err == nil {
			v.fail(s.checkAccountsCurrency(ctx, tx, pl))
		}
		units, err := productUnits(ctx, tx, pl.LegalEntityID)
		v.fail(err)
		rows := make([]row, 0, len(in.Prices))
		seen := map[[2]string]bool{}
		for i, p := range in.Prices {
			if v.err != nil {
				break
			}
			f := fmt.Sprintf("prices[%d]", i)
			number, unit := trim(p.ProductNumber), strings.ToLower(trim(p.Unit))
			pu, ok := units[number]
			v.check(ok, f+".productNumber", "Product %q does not exist in company %s.", number, company)
			if ok {
				v.check(pu.units[unit], f+".unit", "Unit %q is not one of product %s's units %v.", unit, number, pu.list)
			}
			v.check(p.UnitPrice.Sign() >= 0, f+".unitPrice", "Unit price %s is negative; prices must be zero or more.", p.UnitPrice)
			v.check(p.UnitPrice.LessThan(maxPrice), f+".unitPrice", "Unit price %s is too large; prices must be below %s.", p.UnitPrice, maxPrice)
			v.check(-p.UnitPrice.Exponent() <= maxPriceDecimals || p.UnitPrice.Equal(p.UnitPrice.Round(maxPriceDecimals)),
				f+".unitPrice", "Unit price %s has more than %d decimals.", p.UnitPrice, maxPriceDecimals)
			v.check(!seen[[2]string{number, unit}], f, "Product %s in unit %s is priced twice.", number, unit)
			seen[[2]string{number, unit}] = true
			if v.err == nil {
				rows = append(rows, row{pu.id, unit, p.UnitPrice})
			}
		}
		if v.err != nil {
			return v.err
		}
		found, err := exists(ctx, tx, "SELECT 1 FROM price_list WHERE legal_entity_id = ? AND code = ?", pl.LegalEntityID, pl.Code)
		if err != nil {
			return err
		}
		if err := s.requireSave(ctx, policies.TablePriceList, found); err != nil {
			return err
		}
		err = tx.NewRaw(`
			INSERT INTO price_list (legal_entity_id, code, currency) VALUES (?, ?, ?)
			ON CONFLICT (legal_entity_id, code) DO UPDATE SET currency = EXCLUDED.currency, updated_at = now()
			RETURNING id`, pl.LegalEntityID, pl.Code, pl.Currency).Scan(ctx, &pl.ID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM price WHERE price_list_id = ?", pl.ID); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		// One statement for the whole list: a price list may have thousands
		// of prices.
		products, unitsCol, prices := make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows))
		for i, r := range rows {
			products[i], unitsCol[i], prices[i] = r.productID, r.unit, r.price.String()
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO price (price_list_id, legal_entity_id, product_id, unit, unit_price)
			SELECT ?, ?, t.product_id, t.unit, t.unit_price
			FROM unnest(?::uuid[], ?::text[], ?::numeric[]) AS t(product_id, unit, unit_price)`,
			pl.ID, pl.LegalEntityID, pgdialect.Array(products), pgdialect.Array(unitsCol), pgdialect.Array(prices))
		return err
	})
	if err != nil {
		return nil, err
	}
	return pl, nil
}

// checkAccountsCurrency refuses to change the currency of a price list that
// accounts of another currency use.
func (s *Service) checkAccountsCurrency(ctx context.Context, tx bun.Tx, pl *PriceList) error {
	var account string
	err := tx.NewRaw(`SELECT a.account_number FROM customer_account a JOIN price_list p ON p.id = a.price_list_id
		WHERE p.legal_entity_id = ? AND p.code = ? AND a.currency <> ? ORDER BY 1 LIMIT 1`,
		pl.LegalEntityID, pl.Code, pl.Currency).Scan(ctx, &account)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return portal.FieldErrorf("currency", "Account %s uses price list %s in another currency; change the account's price list before changing this list's currency to %s.",
		account, pl.Code, pl.Currency)
}

type productUnitSet struct {
	id    string
	list  []string
	units map[string]bool
}

// productUnits loads every product number of a company with its units, so
// a price list of thousands of prices is checked without a query per price.
func productUnits(ctx context.Context, tx bun.Tx, legalEntityID string) (map[string]*productUnitSet, error) {
	out := map[string]*productUnitSet{}
	if legalEntityID == "" {
		return out, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT p.number, p.id, pu.unit FROM product p
		JOIN product_unit pu ON pu.product_id = p.id WHERE p.legal_entity_id = ? ORDER BY p.number, pu.position`, legalEntityID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var number, id, unit string
		if err := rows.Scan(&number, &id, &unit); err != nil {
			return nil, err
		}
		s := out[number]
		if s == nil {
			s = &productUnitSet{id: id, units: map[string]bool{}}
			out[number] = s
		}
		s.list = append(s.list, unit)
		s.units[unit] = true
	}
	return out, rows.Err()
}

// PriceListsByID returns the price lists with these ids in the same order,
// nil where there is none or the viewer may not read it.
func (s *Service) PriceListsByID(ctx context.Context, ids []string) ([]*PriceList, error) {
	var rows []*PriceList
	if valid := db.ValidIDs(ids); len(valid) > 0 && s.Policy.EveryRow(ctx, policies.TablePriceList, policies.Read) {
		// Bound, not formatted: one statement text for every set of ids.
		var err error
		rows, err = db.Query(ctx, s.DB, make([]*PriceList, 0, len(valid)), scanPriceList,
			"SELECT pl.id, pl.legal_entity_id, pl.code, pl.currency FROM price_list pl WHERE pl.id = ANY(?::uuid[])", db.UUIDs(valid))
		if err != nil {
			return nil, err
		}
	}
	return db.InOrder(ids, rows, func(p *PriceList) string { return p.ID }), nil
}

// scanPriceList reads a row of PriceListsByID's columns (db.Query).
func scanPriceList(rows pgx.Rows) (*PriceList, error) {
	p := new(PriceList)
	err := rows.Scan(&p.ID, &p.LegalEntityID, &p.Code, &p.Currency)
	return p, err
}

// UnitPrice returns the price of a product in a unit in a price list; nil
// when the list has none. unit "" means the product's default unit.
func (s *Service) UnitPrice(ctx context.Context, priceListID, productID, unit string) (*decimal.Decimal, error) {
	// Product, price list and price are GLOBAL-only tables: either the
	// viewer reads them all or none.
	if !s.Policy.EveryRow(ctx, policies.TablePriceList, policies.Read) || !s.Policy.EveryRow(ctx, policies.TableProduct, policies.Read) {
		return nil, nil
	}
	if len(db.ValidIDs([]string{priceListID, productID})) != 2 {
		return nil, nil
	}
	var price decimal.Decimal
	err := s.DB.NewRaw(`SELECT pr.unit_price FROM price pr JOIN product p ON p.id = pr.product_id
		WHERE pr.price_list_id = ? AND pr.product_id = ? AND pr.unit = COALESCE(NULLIF(?, ''), p.default_unit)`,
		priceListID, productID, strings.ToLower(strings.TrimSpace(unit))).Scan(ctx, &price)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &price, nil
}
