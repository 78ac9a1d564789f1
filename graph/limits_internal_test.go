package graph

import (
	"context"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
)

// TestQueryCacheSkipsHugeDocuments: the query cache keeps small documents
// and never a huge one (500 entries of a megabyte each would pin half a
// gigabyte).
func TestQueryCacheSkipsHugeDocuments(t *testing.T) {
	ctx := context.Background()
	c := newBoundedCache()
	for _, tt := range []struct {
		name  string
		query string
		kept  bool
	}{
		{"small", "{ __typename }", true},
		{"at the bound", "{ __typename }" + strings.Repeat(" ", maxCachedQuery-len("{ __typename }")), true},
		{"over the bound", "{ __typename }" + strings.Repeat(" ", maxCachedQuery), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c.Add(ctx, tt.query, &ast.QueryDocument{})
			if _, ok := c.Get(ctx, tt.query); ok != tt.kept {
				t.Errorf("kept = %v, want %v", ok, tt.kept)
			}
		})
	}
}
