package policies

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
)

// scopeInvoiceAccount is the scope the model yields for the invoice account
// of the viewer's own account (see model.conf); no permission has it.
const scopeInvoiceAccount PermissionScope = "INVOICE_ACCOUNT"

// snapshot is one immutable version of the policy: the Casbin enforcer that
// decides, and a cache of its answers per role set. The cache is what keeps
// a check off Casbin's matcher: the first check of a role set on a table
// and privilege asks Casbin (a few Enforce calls), every later one reads an
// atomic pointer. A new policy version is a new snapshot with an empty
// cache, so nothing stale survives a change.
type snapshot struct {
	version int64
	casbin  *casbin.Enforcer
	// mu serializes Casbin calls: its enforcer is not safe for concurrent
	// use, and they only happen on cache misses and in Explain.
	mu       sync.Mutex
	roles    map[string]*WebRole // by id
	roleKeys map[string]string   // built-in key → id
	perms    map[string]*TablePermission
	// rules index Casbin's p lines by table and privilege, for Explain
	// (which names the permissions that grant something).
	rules map[ruleKey][]rule
	// parents are the parent permission ids of the PARENT lines on each
	// table and privilege: the r.parent values worth asking about.
	parents map[ruleKey][]string
	// memberOf are the roles assigned to each contact (Casbin's g lines);
	// memberBits the same as role-set bits.
	memberOf   map[string][]string
	memberBits map[string][]int
	// bit numbers roles for role sets; byBit is the reverse.
	bit   map[string]int
	byBit []string

	cacheMu sync.Mutex
	cache   atomic.Pointer[map[roleSet]*grants]
}

type ruleKey struct {
	table string
	priv  Privilege
}

type rule struct {
	role string
	perm *TablePermission
}

// roleSet is a set of roles by bit number. Viewers holding a role past
// maxCachedRoles are decided without the cache (correct, slower).
type roleSet [4]uint64

const maxCachedRoles = 256

// maxRoleSets bounds the cache; past it, new role sets are decided uncached.
const maxRoleSets = 4096

func (rs *roleSet) add(b int) { rs[b/64] |= 1 << (b % 64) }

func (rs roleSet) list(byBit []string) []string {
	var out []string
	for w, word := range rs {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			out = append(out, byBit[w*64+b])
			word &^= 1 << b
		}
	}
	return out
}

// tableIndex numbers the governed tables for the cache's arrays.
var tableIndex = func() map[string]int {
	names := tableNames()
	m := make(map[string]int, len(names))
	for i, n := range names {
		m[n] = i
	}
	return m
}()

func privIndex(p Privilege) int {
	switch p {
	case Read:
		return 0
	case Create:
		return 1
	case Write:
		return 2
	case Delete:
		return 3
	case Append:
		return 4
	case AppendTo:
		return 5
	}
	return -1
}

// grants are a role set's answers, filled as they are asked.
type grants struct {
	byTable [][6]atomic.Pointer[grant]
}

// grant is what the model allows a role set on a table with a privilege,
// independent of who the viewer is: Scope fills in the viewer's ids.
type grant struct {
	all     bool   // GLOBAL
	account bool   // ACCOUNT
	contact bool   // CONTACT or SELF
	invoice bool   // INVOICE_ACCOUNT
	parent  *grant // PARENT: the rows of the parent table reached
}

var noGrant = &grant{}

func (g *grant) union(o *grant) *grant {
	switch {
	case o == nil:
		return g
	case g == nil:
		return o
	}
	return &grant{all: g.all || o.all, account: g.account || o.account, contact: g.contact || o.contact,
		invoice: g.invoice || o.invoice, parent: g.parent.union(o.parent)}
}

// scope is the grant for viewer v.
func (g *grant) scope(v *portal.Viewer) Scope {
	if g == nil {
		return Scope{}
	}
	if g.all {
		return Scope{All: true}
	}
	var s Scope
	if g.account {
		s.AccountID = v.CustomerAccount
	}
	if g.invoice {
		s.InvoiceOf = v.CustomerAccount
	}
	if g.contact && !v.Anonymous() {
		s.ContactID = v.ContactID
	}
	if g.parent != nil {
		if ps := g.parent.scope(v); !ps.None() {
			s.Parent = &ps
		}
	}
	return s
}

func loadSnapshot(ctx context.Context, db *bun.DB, modelText string) (*snapshot, error) {
	s := &snapshot{roles: map[string]*WebRole{}, roleKeys: map[string]string{}, perms: map[string]*TablePermission{},
		rules: map[ruleKey][]rule{}, parents: map[ruleKey][]string{}, memberOf: map[string][]string{},
		memberBits: map[string][]int{}, bit: map[string]int{}}
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("the Casbin model: %w", err)
	}
	var roles []*WebRole
	// One consistent view: the version read is the version of the rows.
	err = db.RunInTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewRaw("SELECT version FROM policy_version").Scan(ctx, &s.version); err != nil {
			return err
		}
		a := &adapter{ctx: ctx, db: tx}
		s.casbin, err = casbin.NewEnforcer(m, a)
		if err != nil {
			return err
		}
		roles = a.roles
		for _, p := range a.perms {
			s.perms[p.ID] = p
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, r := range roles {
		s.roles[r.ID] = r
		s.bit[r.ID] = i
		s.byBit = append(s.byBit, r.ID)
		if r.Key != nil {
			s.roleKeys[*r.Key] = r.ID
		}
	}
	// A matcher that cannot be evaluated fails here, and the previous
	// policy stays in force, rather than denying everything later.
	if _, err := s.casbin.Enforce("", TableProduct, string(Read), string(Global), "", ""); err != nil {
		return nil, fmt.Errorf("the Casbin model's matcher: %w", err)
	}
	lines, err := s.casbin.GetPolicy()
	if err != nil {
		return nil, err
	}
	for _, l := range lines { // sub, obj, act, scope, perm, parent
		p := s.perms[l[4]]
		if p == nil {
			continue
		}
		k := ruleKey{l[1], Privilege(l[2])}
		s.rules[k] = append(s.rules[k], rule{role: l[0], perm: p})
		if l[5] != "" && !slices.Contains(s.parents[k], l[5]) {
			s.parents[k] = append(s.parents[k], l[5])
		}
	}
	groups, err := s.casbin.GetNamedGroupingPolicy("g")
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		s.memberOf[g[0]] = append(s.memberOf[g[0]], g[1])
		if b, ok := s.bit[g[1]]; ok {
			s.memberBits[g[0]] = append(s.memberBits[g[0]], b)
		}
	}
	s.cache.Store(&map[roleSet]*grants{})
	return s, nil
}

// grant is what the model allows the viewer on table with priv: from the
// cache when the viewer's role set has been asked this before.
func (s *snapshot) grant(v *portal.Viewer, table string, priv Privilege) *grant {
	set, ok := s.roleSet(v)
	ti, known := tableIndex[table]
	pi := privIndex(priv)
	if !ok || !known || pi < 0 {
		return s.decide(s.subjectList(v), table, priv)
	}
	gs := (*s.cache.Load())[set]
	if gs == nil {
		if gs = s.addSet(set); gs == nil {
			return s.decide(set.list(s.byBit), table, priv)
		}
	}
	slot := &gs.byTable[ti][pi]
	if g := slot.Load(); g != nil {
		return g
	}
	g := s.decide(set.list(s.byBit), table, priv)
	slot.Store(g)
	return g
}

// addSet makes room for a role set in the cache (copy on write: readers
// never lock); nil when the cache is full.
func (s *snapshot) addSet(set roleSet) *grants {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	old := *s.cache.Load()
	if gs := old[set]; gs != nil {
		return gs
	}
	if len(old) >= maxRoleSets {
		return nil
	}
	m := make(map[roleSet]*grants, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	gs := &grants{byTable: make([][6]atomic.Pointer[grant], len(tableIndex))}
	m[set] = gs
	s.cache.Store(&m)
	return gs
}

// roleSet is the viewer's roles as bits (see subjects); false when one of
// them has no bit in a roleSet.
func (s *snapshot) roleSet(v *portal.Viewer) (roleSet, bool) {
	var set roleSet
	ok := true
	add := func(id string) {
		if b, found := s.bit[id]; found {
			if b >= maxCachedRoles {
				ok = false
				return
			}
			set.add(b)
		}
	}
	for _, id := range v.RoleIDs {
		add(id)
	}
	for _, k := range v.RoleKeys {
		add(s.roleKeys[k])
	}
	if v.Anonymous() {
		add(s.roleKeys[portal.RoleAnonymousUsers])
		return set, ok
	}
	add(s.roleKeys[portal.RoleAuthenticatedUsers])
	for _, b := range s.memberBits[v.ContactID] {
		if b >= maxCachedRoles {
			return set, false
		}
		set.add(b)
	}
	return set, ok
}

// subjects are the role ids the viewer acts with: the ids it carries, the
// built-in roles it names by key, Anonymous users for a visitor, and for a
// contact Authenticated users plus the roles assigned to it now (so an
// assignment or removal counts on the next request even if the viewer was
// built before it).
func (s *snapshot) subjects(v *portal.Viewer) map[string]bool {
	subs := make(map[string]bool, len(v.RoleIDs)+len(v.RoleKeys)+2)
	for _, id := range v.RoleIDs {
		subs[id] = true
	}
	for _, k := range v.RoleKeys {
		if id, ok := s.roleKeys[k]; ok {
			subs[id] = true
		}
	}
	if v.Anonymous() {
		subs[s.roleKeys[portal.RoleAnonymousUsers]] = true
	} else {
		subs[s.roleKeys[portal.RoleAuthenticatedUsers]] = true
		for _, id := range s.memberOf[v.ContactID] {
			subs[id] = true
		}
	}
	delete(subs, "")
	return subs
}

func (s *snapshot) subjectList(v *portal.Viewer) []string {
	subs := s.subjects(v)
	out := make([]string, 0, len(subs))
	for id := range subs {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// maxParentDepth bounds PARENT chains; the tables have one level today.
const maxParentDepth = 4

// plainScopes are the scopes that need no parent.
var plainScopes = [...]PermissionScope{Global, Account, Contact, Self}

// decide asks the model which scopes of table the roles may exercise priv
// in: each plain scope, the invoice account for customer accounts, and
// each parent permission of the table's PARENT lines, followed as far as
// the roles hold it with READ.
func (s *snapshot) decide(roles []string, table string, priv Privilege) *grant {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.reach(roles, table, priv, "", 0)
	if g == nil {
		return noGrant
	}
	if !g.all && table == TableCustomerAccount && s.allows(roles, table, priv, scopeInvoiceAccount, "", "") {
		g.invoice = true
	}
	return g
}

// reach is the rows of table that the model lets the roles exercise priv
// on, through permission perm alone or ("") any; nil when none. The
// invoice account is decide's: addresses under an account do not follow
// it.
func (s *snapshot) reach(roles []string, table string, priv Privilege, perm string, depth int) *grant {
	if depth > maxParentDepth {
		return nil
	}
	var g grant
	for _, sc := range plainScopes {
		if !s.allows(roles, table, priv, sc, "", perm) {
			continue
		}
		switch sc {
		case Global:
			return &grant{all: true}
		case Account:
			g.account = true
		default:
			g.contact = true
		}
	}
	parents := s.parents[ruleKey{table, priv}]
	if perm != "" {
		parents = nil
		if p := s.perms[perm]; p != nil && p.ParentID != nil {
			parents = []string{*p.ParentID}
		}
	}
	for _, parent := range parents {
		p := s.perms[parent]
		if p == nil || !s.allows(roles, table, priv, Parent, parent, perm) {
			continue
		}
		if pg := s.reach(roles, p.Table, Read, parent, depth+1); pg != nil {
			g.parent = g.parent.union(pg)
		}
	}
	if !g.account && !g.contact && g.parent == nil {
		return nil
	}
	return &g
}

// allows asks the model whether one of the roles may exercise priv on
// table in scope (for PARENT, under parent permission parent), through
// permission perm ("": any). Callers hold s.mu. The matcher was evaluated
// once at load, so an error here is not expected; it denies.
func (s *snapshot) allows(roles []string, table string, priv Privilege, scope PermissionScope, parent, perm string) bool {
	for _, r := range roles {
		if ok, err := s.casbin.Enforce(r, table, string(priv), string(scope), parent, perm); err == nil && ok {
			return true
		}
	}
	return false
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
