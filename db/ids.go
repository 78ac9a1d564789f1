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
func InOrder[T any](ids []string, rows []*T, id func(*T) string) []*T {
	m := make(map[string]*T, len(rows))
	for _, r := range rows {
		m[id(r)] = r
	}
	out := make([]*T, len(ids))
	for i, k := range ids {
		out[i] = m[k]
	}
	return out
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
