package portal

import "context"

// Role keys of the built-in web roles. Names can be edited by administrators;
// keys cannot, so code refers to roles by key.
const (
	RoleAdministrators         = "administrators"
	RoleAuthenticatedUsers     = "authenticated_users"
	RoleAnonymousUsers         = "anonymous_users"
	RoleCustomerRepresentative = "customer_representative"
	RoleAuthorizedUser         = "authorized_user"
)

// Viewer is who a request acts for. The zero Viewer is an anonymous visitor.
// It carries what permission checks and row scoping need without a database
// round trip: the contact, its account and company, and its role keys.
type Viewer struct {
	ContactID       string
	LegalEntityID   string
	CustomerAccount string // customer account id, "" when the contact has none
	PriceListID     string // effective price list id, "" when none
	// RoleIDs are the ids of every web role the viewer holds, built-in
	// Authenticated users or Anonymous users included; RoleKeys the keys of
	// the built-in ones among them.
	RoleIDs   []string
	RoleKeys  []string
	SessionID string
}

// Anonymous reports whether nobody is signed in.
func (v *Viewer) Anonymous() bool { return v == nil || v.ContactID == "" }

// HasRole reports whether the viewer holds the role with this key.
func (v *Viewer) HasRole(key string) bool {
	if v == nil {
		return false
	}
	for _, k := range v.RoleKeys {
		if k == key {
			return true
		}
	}
	return false
}

type viewerKey struct{}

// WithViewer returns a context that carries v.
func WithViewer(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// ViewerFrom returns the viewer of ctx; an anonymous one when none was set.
func ViewerFrom(ctx context.Context) *Viewer {
	if v, ok := ctx.Value(viewerKey{}).(*Viewer); ok && v != nil {
		return v
	}
	return &Viewer{}
}
