package db

import "testing"

func TestNumbered(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"none", "SELECT 1", "SELECT 1"},
		{"in order", "a = ? AND b IN (?) LIMIT ?", "a = $1 AND b IN ($2) LIMIT $3"},
		{"quoted literal kept", "a = '?' AND b = ?", "a = '?' AND b = $1"},
		{"quoted identifier kept", `"we?ird" = ?`, `"we?ird" = $1`},
		{"escaped quote", "a = 'it''s ?' AND b = ?", "a = 'it''s ?' AND b = $1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Numbered(c.in); got != c.want {
				t.Errorf("Numbered(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}
