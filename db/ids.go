package db

import (
	"strings"

	"github.com/google/uuid"
)

// ValidIDs drops strings that are not UUIDs: an id a client made up is
// simply not found, rather than a database error about its syntax, and the
// rest can be compared with uuid columns so the primary key index serves.
func ValidIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if _, err := uuid.Parse(id); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// InOrder arranges rows in the order of ids, with nil where a row is
// missing: what a dataloader's batch function returns.
// Ids are matched by value, so an id asked for in upper case finds its row.
func InOrder[T any](ids []string, rows []*T, id func(*T) string) []*T {
	m := make(map[string]*T, len(rows))
	for _, r := range rows {
		m[CanonicalID(id(r))] = r
	}
	out := make([]*T, len(ids))
	for i, k := range ids {
		out[i] = m[CanonicalID(k)]
	}
	return out
}

// CanonicalID is the database's spelling of a UUID (lower case, with
// hyphens), or id itself when it is not one. Ids are compared by value:
// "A0A0…" and "a0a0…" name the same row.
func CanonicalID(id string) string {
	if u, err := uuid.Parse(id); err == nil {
		return u.String()
	}
	return id
}

// SameID reports whether a and b are the same UUID, whatever their
// spelling; two strings that are not UUIDs are never the same id.
func SameID(a, b string) bool {
	ua, err := uuid.Parse(a)
	if err != nil {
		return false
	}
	ub, err := uuid.Parse(b)
	return err == nil && ua == ub
}

// EscapeLike makes user text match literally inside a LIKE pattern.
func EscapeLike(s string) string {
	return likeEscaper.Replace(s)
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// ValidID reports whether id is a UUID (see ValidIDs).
func ValidID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil
}
