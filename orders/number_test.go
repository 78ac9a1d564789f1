package orders_test

import (
	"context"
	"testing"

	"github.com/openportal/portal/db/dbtest"
)

// TestOrderNumbers: every company gets its number sequence when it is
// made, numbers are its prefix and at least six digits, and setting
// next_value (the bench loader, an administrator moving numbering past the
// ERP's) moves the sequence.
func TestOrderNumbers(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	var company string
	if err := d.NewRaw("INSERT INTO legal_entity (code, name) VALUES ('NUM', 'Numbers') RETURNING id").Scan(ctx, &company); err != nil {
		t.Fatal(err)
	}
	next := func() string {
		t.Helper()
		var n string
		if err := d.NewRaw("SELECT next_order_number(?)", company).Scan(ctx, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	set := func(sql string, args ...any) {
		t.Helper()
		if _, err := d.ExecContext(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	for _, step := range []struct {
		name string
		do   func()
		want []string
	}{
		{"a new company starts at 1", func() {}, []string{"WEB-000001", "WEB-000002"}},
		{"next_value moves the sequence", func() {
			set("UPDATE order_number_sequence SET next_value = 999999 WHERE legal_entity_id = ?", company)
		}, []string{"WEB-999999", "WEB-1000000"}},
		{"the prefix is the company's", func() {
			set("UPDATE order_number_sequence SET prefix = 'P-' WHERE legal_entity_id = ?", company)
		}, []string{"P-1000001"}},
		{"a row made again takes the sequence over", func() {
			set("DELETE FROM order_number_sequence WHERE legal_entity_id = ?", company)
			set("INSERT INTO order_number_sequence (legal_entity_id, next_value) VALUES (?, 10)", company)
		}, []string{"WEB-000010"}},
	} {
		t.Run(step.name, func(t *testing.T) {
			step.do()
			for _, want := range step.want {
				if got := next(); got != want {
					t.Errorf("got %s, want %s", got, want)
				}
			}
		})
	}
	var unknown string
	if err := d.NewRaw("SELECT next_order_number(gen_random_uuid())").Scan(ctx, &unknown); err == nil {
		t.Errorf("a company without a sequence got number %q, want an error", unknown)
	}
}
