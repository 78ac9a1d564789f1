package catalog

import (
	"context"

	"github.com/jackc/pgx/v5"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/policies"
)

// SaveLegalEntity creates the company with this code or renames it.
// Returns EINVALID for a bad code or empty name, EUNAUTHENTICATED/EFORBIDDEN
// when the viewer may not change companies.
func (s *Service) SaveLegalEntity(ctx context.Context, in LegalEntityInput) (*LegalEntity, error) {
	if err := s.mayUpsert(ctx, policies.TableLegalEntity); err != nil {
		return nil, err
	}
	code, name := upperCode(in.Code), trim(in.Name)
	var v validator
	v.check(legalEntityCode.MatchString(code), "code",
		"Company code %q must be 1 to 10 letters, digits, - or _, starting with a letter or digit (e.g. USMF).", in.Code)
	v.check(name != "", "name", "Company name is required.")
	v.length("name", name, maxNameLength)
	if v.err != nil {
		return nil, v.err
	}
	found, err := exists(ctx, db.IDB(ctx, s.DB), "SELECT 1 FROM legal_entity WHERE code = ?", code)
	if err != nil {
		return nil, err
	}
	if err := s.requireSave(ctx, policies.TableLegalEntity, found); err != nil {
		return nil, err
	}
	le := &LegalEntity{}
	err = db.IDB(ctx, s.DB).NewRaw(`
		INSERT INTO legal_entity (code, name) VALUES (?, ?)
		ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, updated_at = now()
		RETURNING *`, code, name).Scan(ctx, le)
	return le, err
}

// LegalEntities lists every company the viewer may read, by code.
func (s *Service) LegalEntities(ctx context.Context) ([]*LegalEntity, error) {
	if err := s.Policy.Require(ctx, policies.TableLegalEntity, policies.Read); err != nil {
		return nil, err
	}
	var out []*LegalEntity
	err := s.DB.NewSelect().Model(&out).Order("code").Scan(ctx)
	return out, err
}

// LegalEntitiesByID returns the companies with these ids, in the same order;
// nil where there is none or the viewer may not read it (for dataloaders).
func (s *Service) LegalEntitiesByID(ctx context.Context, ids []string) ([]*LegalEntity, error) {
	var rows []*LegalEntity
	if valid := db.ValidIDs(ids); len(valid) > 0 && s.Policy.EveryRow(ctx, policies.TableLegalEntity, policies.Read) {
		// Bound, not formatted: one statement text for every set of ids.
		var err error
		rows, err = db.Query(ctx, s.DB, make([]*LegalEntity, 0, len(valid)), scanLegalEntity,
			"SELECT le.id, le.code, le.name, le.created_at, le.updated_at FROM legal_entity le WHERE le.id = ANY(?::uuid[])", db.UUIDs(valid))
		if err != nil {
			return nil, err
		}
	}
	return db.InOrder(ids, rows, func(le *LegalEntity) string { return le.ID }), nil
}

// scanLegalEntity reads a row of LegalEntitiesByID's columns (db.Query).
func scanLegalEntity(rows pgx.Rows) (*LegalEntity, error) {
	le := new(LegalEntity)
	err := rows.Scan(&le.ID, &le.Code, &le.Name, &le.CreatedAt, &le.UpdatedAt)
	return le, err
}

// LegalEntity returns one company; ENOTFOUND when there is none.
func (s *Service) LegalEntity(ctx context.Context, id string) (*LegalEntity, error) {
	les, err := s.LegalEntitiesByID(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if les[0] == nil {
		return nil, portal.Errorf(portal.ENOTFOUND, "This company does not exist.")
	}
	return les[0], nil
}
