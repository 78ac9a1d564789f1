package catalog

import (
	"context"
	"strings"

	"github.com/openportal/portal/policies"
)

// SaveUnit creates or changes a unit of measure. Decimals is how many
// decimals an order quantity in this unit may have (0 to 6).
// Returns EINVALID naming the field at fault, EUNAUTHENTICATED/EFORBIDDEN
// when the viewer may not change master data.
func (s *Service) SaveUnit(ctx context.Context, in UnitInput) (*Unit, error) {
	// Units are product master data: product permissions govern them.
	if err := s.mayUpsert(ctx, policies.TableProduct); err != nil {
		return nil, err
	}
	u := &Unit{Code: strings.ToLower(trim(in.Code)), Name: trim(in.Name), Decimals: in.Decimals}
	var v validator
	v.check(unitCode.MatchString(u.Code), "code", "Unit code %q must be 1 to 10 lower-case letters, digits, '.', '-' or '_' (e.g. ea, kg).", in.Code)
	v.check(u.Name != "", "name", "Unit name is required.")
	v.check(u.Decimals >= 0 && u.Decimals <= 6, "decimals", "Decimals must be between 0 and 6, not %d.", u.Decimals)
	v.length("name", u.Name, maxNameLength)
	if v.err != nil {
		return nil, v.err
	}
	found, err := exists(ctx, s.DB, "SELECT 1 FROM unit WHERE code = ?", u.Code)
	if err != nil {
		return nil, err
	}
	if err := s.requireSave(ctx, policies.TableProduct, found); err != nil {
		return nil, err
	}
	_, err = s.DB.NewInsert().Model(u).On("CONFLICT (code) DO UPDATE").
		Set("name = EXCLUDED.name, decimals = EXCLUDED.decimals").Exec(ctx)
	return u, err
}

// Units lists every unit of measure by code.
func (s *Service) Units(ctx context.Context) ([]*Unit, error) {
	if err := s.Policy.Require(ctx, policies.TableProduct, policies.Read); err != nil {
		return nil, err
	}
	var out []*Unit
	err := s.DB.NewSelect().Model(&out).Order("code").Scan(ctx)
	return out, err
}
