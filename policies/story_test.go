package policies_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/policies"
)

// orderNumbers is the scoped reader an orders store uses: the newest first
// page of the orders the viewer may read, filtered in SQL.
func (e *env) orderNumbers(ctx context.Context, t *testing.T) (numbers, placedBy []string) {
	t.Helper()
	s := e.policy.ReadScope(ctx, policies.TableSalesOrder)
	where, args := s.Where(policies.OrderColumns("o"))
	var rows []struct{ Number, ContactID string }
	err := e.db.NewRaw("SELECT o.number, o.contact_id FROM sales_order o WHERE "+where+
		" ORDER BY o.number LIMIT 20", args...).Scan(ctx, &rows)
	if err != nil {
		t.Fatal(err)
	}
	numbers = []string{}
	for _, r := range rows {
		numbers = append(numbers, r.Number)
		placedBy = append(placedBy, r.ContactID)
	}
	return numbers, placedBy
}

func (e *env) number(t *testing.T, name string) string {
	var n string
	if err := e.db.NewRaw("SELECT number FROM sales_order WHERE id = ?", e.w.Orders[name]).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSeedStory: two authorized users of one account each see only their
// own orders; the account's representative sees both (and its own) and the
// contacts who placed them; a contact of another account sees none of
// them; a visitor sees none at all.
func TestSeedStory(t *testing.T) {
	e := newEnv(t)
	alice, bob, rep, carla := e.number(t, "alice"), e.number(t, "bob"), e.number(t, "rep"), e.number(t, "carla")
	others := []string{e.number(t, "admin"), e.number(t, "nobody")}
	for _, tt := range []struct {
		viewer string
		want   []string
	}{
		{"alice", []string{alice}},
		{"bob", []string{bob}},
		{"rep", append([]string{alice, bob, rep}, others...)}, // every order of account A
		{"carla", []string{carla}},
		{"anonymous", []string{}},
	} {
		t.Run(tt.viewer, func(t *testing.T) {
			ctx := e.w.Ctx(t, tt.viewer)
			got, placedBy := e.orderNumbers(ctx, t)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("orders (-want +got):\n%s", diff)
			}
			// Who placed them: every one readable to the viewer.
			contacts, err := e.ids.ContactsByID(ctx, placedBy)
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range contacts {
				if c == nil && tt.viewer == "rep" {
					t.Errorf("rep cannot read %s, who placed %s", placedBy[i], got[i])
				}
			}
		})
	}
	// The representative reads alice and bob themselves; alice reads only
	// herself, not bob.
	for _, tt := range []struct {
		viewer string
		want   map[string]bool
	}{
		{"rep", map[string]bool{"alice": true, "bob": true, "carla": false}},
		{"alice", map[string]bool{"alice": true, "bob": false, "carla": false}},
		{"anonymous", map[string]bool{"alice": false, "bob": false, "carla": false}},
	} {
		ctx := e.w.Ctx(t, tt.viewer)
		for name, want := range tt.want {
			cs, err := e.ids.ContactsByID(ctx, []string{e.w.Contacts[name].ID})
			if err != nil {
				t.Fatal(err)
			}
			if got := cs[0] != nil; got != want {
				t.Errorf("%s reads contact %s = %v, want %v", tt.viewer, name, got, want)
			}
		}
	}
}

// TestGuessedIDsAreMissing: ids of other accounts' orders, lines, contacts,
// accounts and addresses, and ids that are not ids at all, read as missing
// rows, exactly like ids that exist nowhere.
func TestGuessedIDsAreMissing(t *testing.T) {
	e := newEnv(t)
	ctx := e.w.Ctx(t, "alice")
	guesses := map[string][]string{
		policies.TableSalesOrder:      {e.w.Orders["carla"], e.w.Orders["bob"], "00000000-0000-0000-0000-000000000000"},
		policies.TableSalesOrderLine:  {e.w.Lines["carla"], e.w.Lines["bob"], "00000000-0000-0000-0000-000000000000"},
		policies.TableContact:         {e.w.Contacts["carla"].ID, e.w.Contacts["bob"].ID, e.w.Contacts["rep"].ID},
		policies.TableCustomerAccount: {e.w.Accounts["B"]},
		policies.TableDeliveryAddress: {e.w.Addresses["B"]},
	}
	for table, ids := range guesses {
		for _, id := range ids {
			if e.reachable(ctx, t, table, policies.Read, id) {
				t.Errorf("alice reaches %s %s", table, id)
			}
			if found, ok := e.serviceReads(ctx, t, table, id); ok && found {
				t.Errorf("alice's service read of %s %s found it", table, id)
			}
		}
	}
	if _, err := e.cat.CustomerAccount(ctx, e.w.Accounts["B"]); err == nil || !isNotFound(err) {
		t.Errorf("CustomerAccount(B) = %v, want ENOTFOUND", err)
	}
	for _, junk := range []string{"", "1 OR 1=1", "'; DROP TABLE sales_order; --"} {
		if cs, err := e.ids.ContactsByID(ctx, []string{junk}); err != nil || cs[0] != nil {
			t.Errorf("ContactsByID(%q) = %v, %v", junk, cs, err)
		}
	}
	if !db.ValidID(e.w.Orders["carla"]) {
		t.Fatal("fixture ids are not uuids")
	}
}

func isNotFound(err error) bool { return portalCode(err) == "not_found" }
