package catalog

import (
	"context"

	"github.com/openportal/portal/policies"
)

// MaySetCommercialTerms reports whether the viewer may set or change the
// commercial terms of a row of table: what decides what a customer sees
// and pays (an account's invoice account, price list, currency and ship-to
// country; a contact's account and its own price list, currency and ship-to
// country). Those are the company's to set, so it takes GLOBAL write on the
// table, whatever narrower write the viewer holds (a representative's
// ACCOUNT write, a contact's SELF).
//
// This is the one place the rule is written, for catalog and identity
// alike, so that it can become a policy decision without a hunt.
func MaySetCommercialTerms(ctx context.Context, p *policies.Enforcer, table string) bool {
	return p.Scope(ctx, table, policies.Write).All
}
