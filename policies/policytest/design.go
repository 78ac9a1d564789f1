package policytest

import (
	"slices"
	"strings"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/policies"
)

// Design is DESIGN §4's table of default permissions, with the rows and
// columns this implementation adds (delivery addresses, the administration
// tables, and what Authenticated users and Anonymous users get). Each
// role's contact also holds Authenticated users, as every signed-in
// contact does; the test unions them as the enforcer must.
const Design = `
role                    | sales_order                         | sales_order_line                       | contact     | customer_account | delivery_address | product     | price_list  | legal_entity | web_role   | table_permission
administrators          | GLOBAL all                          | GLOBAL all                             | GLOBAL all  | GLOBAL all       | GLOBAL all       | GLOBAL all  | GLOBAL all  | GLOBAL all   | GLOBAL all | GLOBAL all
customer_representative | ACCOUNT read                        | PARENT read                            | ACCOUNT read| ACCOUNT read     | PARENT read      | GLOBAL read | GLOBAL read | —            | —          | —
authorized_user         | CONTACT read,create,write,append_to | PARENT read,create,write,delete,append | SELF read   | ACCOUNT read     | PARENT read      | GLOBAL read | GLOBAL read | —            | —          | —
authenticated_users     | —                                   | —                                      | —           | —                | —                | GLOBAL read | —           | GLOBAL read  | —          | —
anonymous_users         | —                                   | —                                      | —           | —                | —                | GLOBAL read | —           | GLOBAL read  | —          | —
`

// grant is one cell of the table.
type grant struct {
	scope string
	privs []policies.Privilege
}

// parseDesign returns role → table → grant ("—" cells are left out).
func parseDesign() (tables []string, cells map[string]map[string]grant) {
	cells = map[string]map[string]grant{}
	for i, line := range strings.Split(strings.TrimSpace(Design), "\n") {
		cols := strings.Split(line, "|")
		for j := range cols {
			cols[j] = strings.TrimSpace(cols[j])
		}
		if i == 0 {
			tables = cols[1:]
			continue
		}
		role := cols[0]
		cells[role] = map[string]grant{}
		for j, cell := range cols[1:] {
			if cell == "—" {
				continue
			}
			scope, list, _ := strings.Cut(cell, " ")
			g := grant{scope: scope}
			if list == "all" {
				g.privs = policies.Privileges
			} else {
				for _, p := range strings.Split(list, ",") {
					g.privs = append(g.privs, policies.Privilege(strings.ToUpper(p)))
				}
			}
			cells[role][tables[j]] = g
		}
	}
	return tables, cells
}

var designTables, designCells = parseDesign()

// DesignTables are the tables of Design, in its column order.
func DesignTables() []string { return designTables }

// Expect reads Design for a viewer holding the built-in role (and, when
// signed in, Authenticated users, as every signed-in contact does): may it
// exercise priv on a row of table that it owns or belongs to (in), and on
// somebody else's row (out: only GLOBAL reaches those)?
func Expect(role, table string, priv policies.Privilege) (in, out bool) {
	held := []string{role}
	if role != portal.RoleAnonymousUsers && role != portal.RoleAuthenticatedUsers {
		held = append(held, portal.RoleAuthenticatedUsers)
	}
	for _, r := range held {
		if g, ok := designCells[r][table]; ok && slices.Contains(g.privs, priv) {
			in = true
			out = out || g.scope == "GLOBAL"
		}
	}
	return in, out
}
