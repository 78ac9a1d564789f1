package graph_test

import (
	"context"
	"encoding/json"
	"testing"
)

// TestPolicyRulesThroughGraphQL: the rules that live in package policies
// beside the table scopes, as the API shows them. The invoice account of
// the viewer's own account is readable (the model's INVOICE_ACCOUNT rule),
// but the invoice account's contacts do not read back, nor does a viewer
// without ACCOUNT read; a contact's roles are shown to whoever may read
// web roles and to the contact itself, to nobody else.
func TestPolicyRulesThroughGraphQL(t *testing.T) {
	a := newAPI(t)
	w := world(a)
	if _, err := a.db.ExecContext(context.Background(), "UPDATE customer_account SET invoice_account_id = ? WHERE id = ?",
		w.Accounts["B"], w.Accounts["A"]); err != nil {
		t.Fatal(err)
	}
	const account = `query($id: ID!) { customerAccount(id: $id) { accountNumber invoiceAccount { accountNumber } } }`
	for _, tt := range []struct {
		viewer, account string
		want            string
	}{
		{"alice", "A", `{"customerAccount":{"accountNumber":"US-001","invoiceAccount":{"accountNumber":"US-002"}}}`},
		{"alice", "B", `{"customerAccount":{"accountNumber":"US-002","invoiceAccount":{"accountNumber":"US-002"}}}`},
		{"rep", "B", `{"customerAccount":{"accountNumber":"US-002","invoiceAccount":{"accountNumber":"US-002"}}}`},
		{"carla", "A", `{"customerAccount":null}`},
		{"nobody", "B", `{"customerAccount":null}`},
	} {
		t.Run("account/"+tt.viewer+"/"+tt.account, func(t *testing.T) {
			a.as(w, tt.viewer)
			r := a.do(account, map[string]any{"id": w.Accounts[tt.account]})
			if len(r.Errors) > 0 || string(r.Data) != tt.want {
				t.Errorf("got %s %+v, want %s", r.Data, r.Errors, tt.want)
			}
		})
	}
	const contactRoles = `query($id: ID!) { contact(id: $id) { roles { name } } }`
	for _, tt := range []struct {
		viewer, contact string
		roles           int
	}{
		{"admin", "alice", 1},
		{"alice", "alice", 1},
		{"rep", "alice", 1}, // a readable contact's roles: the Account page
		{"rep", "rep", 1},
		{"alice", "bob", 0}, // bob is not readable to alice
	} {
		t.Run("roles/"+tt.viewer+"/"+tt.contact, func(t *testing.T) {
			var out struct {
				Contact struct{ Roles []struct{ Name string } }
			}
			a.as(w, tt.viewer).ok(contactRoles, map[string]any{"id": w.Contacts[tt.contact].ID}, &out)
			if len(out.Contact.Roles) != tt.roles {
				b, _ := json.Marshal(out)
				t.Errorf("got %s, want %d roles", b, tt.roles)
			}
		})
	}
}
