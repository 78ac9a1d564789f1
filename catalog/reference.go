package catalog

import (
	"context"
	"database/sql"
	"errors"

	"github.com/uptrace/bun"
	"golang.org/x/text/language"

	portal "github.com/openportal/portal"
)

// companyID returns the id of the legal entity with this code, or an
// EINVALID error about field.
func companyID(ctx context.Context, idb bun.IDB, field, code string) (string, error) {
	if code == "" {
		return "", portal.FieldErrorf(field, "Company is required: give a legal entity code such as USMF.")
	}
	var id string
	err := idb.NewRaw("SELECT id FROM legal_entity WHERE code = ?", code).Scan(ctx, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", portal.FieldErrorf(field, "Company %q does not exist; create the legal entity first or use an existing code.", code)
	}
	return id, err
}

// checkCurrency validates an ISO 4217 code against the currency table.
func checkCurrency(ctx context.Context, idb bun.IDB, field, code string) error {
	ok, err := exists(ctx, idb, "SELECT 1 FROM currency WHERE code = ?", code)
	if err != nil {
		return err
	}
	if !ok {
		return portal.FieldErrorf(field, "Unknown currency code %q: use an ISO 4217 code such as USD or EUR.", code)
	}
	return nil
}

// checkCountry validates an ISO 3166-1 alpha-2 code against the country table.
func checkCountry(ctx context.Context, idb bun.IDB, field, code string) error {
	ok, err := exists(ctx, idb, "SELECT 1 FROM country WHERE code = ?", code)
	if err != nil {
		return err
	}
	if !ok {
		return portal.FieldErrorf(field, "Unknown country code %q: use an ISO 3166-1 alpha-2 code such as US or DE.", code)
	}
	return nil
}

// canonicalLanguage validates a BCP 47 tag and returns its canonical form
// ("EN-us" → "en-US").
func canonicalLanguage(field, tag string) (string, error) {
	t, err := language.Parse(tag)
	if err != nil || tag == "" {
		return "", portal.FieldErrorf(field, "Language %q is not a BCP 47 language tag such as en-US or de.", tag)
	}
	return t.String(), nil
}

func exists(ctx context.Context, idb bun.IDB, query string, args ...any) (bool, error) {
	var one int
	err := idb.NewRaw(query, args...).Scan(ctx, &one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// CheckCurrency, CheckCountry and CanonicalLanguage are the same checks for
// other packages (contacts override these values of their account).
func (s *Service) CheckCurrency(ctx context.Context, field, code string) error {
	return checkCurrency(ctx, s.DB, field, code)
}

// CheckCountry validates an ISO 3166-1 alpha-2 country code.
func (s *Service) CheckCountry(ctx context.Context, field, code string) error {
	return checkCountry(ctx, s.DB, field, code)
}

// CanonicalLanguage validates a BCP 47 tag and returns its canonical form.
func CanonicalLanguage(field, tag string) (string, error) { return canonicalLanguage(field, tag) }
