package policies

import (
	"context"

	portal "github.com/openportal/portal"
)

// Decision is a yes/no rule that is not "which rows": who may set what is
// otherwise derived (a contact's commercial terms, an order's company), or
// create rows that no narrower scope can reach yet. Each is backed by a
// privilege on a table in GLOBAL scope, so it is granted and explained like
// every permission (an administrator can hand it to, say, a sales desk
// role), and the model decides it. Services ask May or RequireDecision
// instead of testing Scope(...).All themselves, so every rule lives here.
type Decision struct {
	// Name says what it allows, completing "may ...".
	Name      string
	Table     string
	Privilege Privilege
	// Refusal is the message of RequireDecision's EFORBIDDEN.
	Refusal string
}

// The decisions.
var (
	// SetContactTerms: change what decides what a contact may see and
	// pay (its customer account, company, price list, currency, ship-to
	// country) on create or update. A SELF permission to edit one's own
	// profile does not give it.
	SetContactTerms = Decision{"set a contact's customer account, price list, currency or ship-to country",
		TableContact, Write, "Only an administrator may set the customer account, price list, currency or ship-to country of a contact."}
	// SetAccountTerms: change an account's commercial terms (invoice
	// account, price list, currency, ship-to country); ACCOUNT write, given
	// to keep delivery addresses, does not give it.
	SetAccountTerms = Decision{"set a customer account's invoice account, price list, currency or ship-to country",
		TableCustomerAccount, Write, "Only an administrator may set the invoice account, price list, currency or ship-to country of a customer account."}
	// CreateCustomerAccount: a new account lies in no viewer's account yet,
	// so only GLOBAL CREATE reaches it.
	CreateCustomerAccount = Decision{"create customer accounts",
		TableCustomerAccount, Create, "Your roles do not allow creating customer accounts; ask an administrator."}
	// ChooseOrderTerms: choose what an order otherwise takes from its
	// contact (company, ship-to country); whoever may change every order.
	ChooseOrderTerms = Decision{"choose an order's company and ship-to country",
		TableSalesOrder, Write, "Only an administrator may choose the company or ship-to country of an order; leave them out to use your own."}
	// ReadRoles: read web roles and who holds them; a viewer always reads
	// its own roles (Roles filters them in).
	ReadRoles = Decision{"read web roles and who holds them",
		TableWebRole, Read, "Your roles do not allow reading web roles; ask an administrator."}
	// AssignRoles: give contacts web roles (Roles.Assign; Admin asks
	// WRITE on web_role for its changes).
	AssignRoles = Decision{"assign web roles to contacts",
		TableWebRole, Write, "Your roles do not allow assigning web roles; ask an administrator."}
)

// Decisions lists every decision, for tests and documentation.
var Decisions = []Decision{SetContactTerms, SetAccountTerms, CreateCustomerAccount, ChooseOrderTerms, ReadRoles, AssignRoles}

// May reports whether the viewer of ctx may do what d names.
func (e *Enforcer) May(ctx context.Context, d Decision) bool {
	return e.Scope(ctx, d.Table, d.Privilege).All
}

// RequireDecision returns nil when the viewer of ctx may do what d names,
// EUNAUTHENTICATED for a visitor, and EFORBIDDEN with d's message for a
// signed-in viewer.
func (e *Enforcer) RequireDecision(ctx context.Context, d Decision) error {
	if e.May(ctx, d) {
		return nil
	}
	if portal.ViewerFrom(ctx).Anonymous() {
		return portal.Errorf(portal.EUNAUTHENTICATED, "Sign in to %s.", d.Name)
	}
	return portal.Errorf(portal.EFORBIDDEN, "%s", d.Refusal)
}

// Holds reports whether the viewer of ctx acts with the web role with this
// id (assigned to it, or the implicit Authenticated users or Anonymous
// users).
func (e *Enforcer) Holds(ctx context.Context, roleID string) bool {
	s := e.current()
	if s == nil {
		return false
	}
	return s.subjects(portal.ViewerFrom(ctx))[roleID]
}

// Operator is ctx acting as whoever runs the portal's command line (the
// first administrator's bootstrap, demo data): it holds the built-in
// Administrators role, so what it does passes the same checks as an
// administrator's. Never derive it from a request.
func Operator(ctx context.Context) context.Context {
	return portal.WithViewer(ctx, &portal.Viewer{RoleKeys: []string{portal.RoleAdministrators}})
}

// EveryRow reports whether the viewer of ctx may exercise priv on every
// row of table. Tables without an owner (companies, products, price
// lists: master data) have no narrower scope, so for them this is the
// whole question: a store of master data asks it instead of Scope.
func (e *Enforcer) EveryRow(ctx context.Context, table string, priv Privilege) bool {
	return e.Scope(ctx, table, priv).All
}
