// Package identity provides contacts (the people at customers who use the
// portal), their passwords, and the administrator bootstrap. Invitations and
// sessions join it with the sign-up issue; there is no way to create a
// sign-in without an administrator.
package identity

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/catalog"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/policies"
)

// Contact is a person at a customer (or an administrator). Currency, price
// list, ship-to country and language are effective values: the contact's
// own, else its account's; the Own* fields hold only the contact's own.
type Contact struct {
	bun.BaseModel     `bun:"table:contact"`
	ID                string  `bun:",pk,type:uuid"`
	LegalEntityID     *string `bun:",type:uuid"`
	CustomerAccountID *string `bun:",type:uuid"`
	FirstName         string
	LastName          string
	Email             string
	OwnPriceListID    *string `bun:"price_list_id,type:uuid"`
	OwnCurrency       *string `bun:"currency"`
	OwnShipToCountry  *string `bun:"ship_to_country"`
	OwnLanguage       *string `bun:"language"`
	PasswordHash      *string `bun:"password_hash" json:"-"`
	Disabled          bool
	SyncState         string
	CreatedAt         time.Time
	UpdatedAt         time.Time

	PriceListID   *string `bun:"eff_price_list_id,scanonly"`
	Currency      *string `bun:"eff_currency,scanonly"`
	ShipToCountry *string `bun:"eff_ship_to_country,scanonly"`
	Language      *string `bun:"eff_language,scanonly"`
	HasSignIn     bool    `bun:",scanonly"`
	// PriceListCurrency is the currency of the effective price list.
	PriceListCurrency *string `bun:",scanonly"`
}

// contactSelect reads contacts with their effective values.
const contactSelect = `SELECT c.*,
	COALESCE(c.price_list_id, a.price_list_id) AS eff_price_list_id,
	COALESCE(c.currency, a.currency) AS eff_currency,
	COALESCE(c.ship_to_country, a.ship_to_country) AS eff_ship_to_country,
	COALESCE(c.language, a.language) AS eff_language,
	c.password_hash IS NOT NULL AS has_sign_in,
	pl.currency AS price_list_currency
	FROM contact c LEFT JOIN customer_account a ON a.id = c.customer_account_id
	LEFT JOIN price_list pl ON pl.id = COALESCE(c.price_list_id, a.price_list_id)`

// MissingOrderFields lists what the contact lacks, after inheriting from its
// account, before it can place orders; empty when it can.
func (c *Contact) MissingOrderFields() []string {
	missing := []string{}
	for _, f := range []struct {
		name string
		ok   bool
	}{
		{"company", c.LegalEntityID != nil},
		{"customerAccount", c.CustomerAccountID != nil},
		// A price list in another currency than the contact orders in
		// cannot price its orders: as good as none.
		{"priceList", c.PriceListID != nil && (c.Currency == nil || c.PriceListCurrency == nil || *c.PriceListCurrency == *c.Currency)},
		{"currency", c.Currency != nil},
		{"shipToCountry", c.ShipToCountry != nil},
	} {
		if !f.ok {
			missing = append(missing, f.name)
		}
	}
	return missing
}

// Service manages contacts for the viewer in the context.
type Service struct {
	DB      *bun.DB
	Policy  *policies.Enforcer
	Roles   *policies.Roles
	Catalog *catalog.Service
	// Mailer sends invitations; nil when no SMTP server is configured, and
	// the administrator hands over the sign-up URL instead.
	Mailer Mailer
	// BaseURL is the site's public address, for sign-up links.
	BaseURL string
	Logger  *slog.Logger
	// SessionTTL is how long a session lasts at most; IdleTimeout how long
	// it lasts unused. Zero means the defaults (7 days, 24 hours).
	SessionTTL  time.Duration
	IdleTimeout time.Duration
	// Sessions caches sessions and viewers across requests (servers set
	// it; nil reads every request's session from the database).
	Sessions *SessionCache
}

// ContactsByID returns the contacts with these ids in the same order, nil
// where there is none.
func (s *Service) ContactsByID(ctx context.Context, ids []string) ([]*Contact, error) {
	return s.contactsByID(ctx, s.DB, ids)
}

func (s *Service) contactsByID(ctx context.Context, idb bun.IDB, ids []string) ([]*Contact, error) {
	var rows []*Contact
	scope := s.Policy.ReadScope(ctx, policies.TableContact)
	if valid := db.ValidIDs(ids); len(valid) > 0 && !scope.None() {
		where, args := scope.Where(policies.ContactColumns("c"))
		args = append(args, bun.List(valid))
		if err := idb.NewRaw(contactSelect+" WHERE "+where+" AND c.id IN (?)", args...).Scan(ctx, &rows); err != nil {
			return nil, err
		}
	}
	return db.InOrder(ids, rows, func(c *Contact) string { return c.ID }), nil
}

// normalizeEmail is how emails are stored: trimmed; uniqueness is checked
// case-insensitively by the database.
func normalizeEmail(e string) string { return strings.TrimSpace(e) }

// createContact inserts a contact; a duplicate email is ECONFLICT.
func createContact(ctx context.Context, idb bun.IDB, c *Contact) error {
	err := idb.NewRaw(`INSERT INTO contact (legal_entity_id, customer_account_id, first_name, last_name, email,
		price_list_id, currency, ship_to_country, language, password_hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.LegalEntityID, c.CustomerAccountID, c.FirstName, c.LastName, c.Email,
		c.OwnPriceListID, c.OwnCurrency, c.OwnShipToCountry, c.OwnLanguage, c.PasswordHash).Scan(ctx, &c.ID)
	if db.IsUniqueViolation(err, "contact_email_key") {
		return emailTaken(c.Email)
	}
	return err
}

// Self returns a viewer's own contact, whatever the permissions say about
// reading contacts: everyone may see who they are signed in as. The viewer
// is passed in because signIn answers for the session it just made, not for
// the (anonymous) request.
// Returns EUNAUTHENTICATED for an anonymous viewer.
func (s *Service) Self(ctx context.Context, v *portal.Viewer) (*Contact, error) {
	if v.Anonymous() {
		return nil, portal.Errorf(portal.EUNAUTHENTICATED, "Sign in first.")
	}
	c := &Contact{}
	if err := s.DB.NewRaw(contactSelect+" WHERE c.id = ?", v.ContactID).Scan(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}
