package orders

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestArrange: orders and lines joined in one statement come in whatever
// order PostgreSQL's plan gives (the statement has no ORDER BY); arrange
// puts the orders newest first (created_at, then id descending, ties on
// created_at included) and each order's lines by line number, gives none
// to the order past the page's limit or to one whose lines may not be
// read, and an empty list, not nil, to an order without lines.
func TestArrange(t *testing.T) {
	at := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	// want is the page's order; "…-b…" and "…-a…" share a created_at.
	want := []*Order{
		{ID: "00000000-0000-4000-8000-00000000000f", CreatedAt: at.Add(3 * time.Second)},
		{ID: "ffffffff-0000-4000-8000-000000000001", CreatedAt: at.Add(2 * time.Second)},
		{ID: "0b000000-0000-4000-8000-000000000001", CreatedAt: at.Add(time.Second)},
		{ID: "0a000000-0000-4000-8000-000000000001", CreatedAt: at.Add(time.Second)},
		{ID: "0c000000-0000-4000-8000-000000000001", CreatedAt: at},
	}
	lineCount := []int{3, 0, 2, 4, 3} // the last order is past the limit
	const limit = 4
	hidden := want[2].ID // its lines may not be read
	for run := range 20 {
		t.Run(fmt.Sprintf("shuffled %d", run), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(run), 9))
			read := make([]*Order, len(want))
			for i, p := range rng.Perm(len(want)) {
				o := *want[p]
				read[i] = &o
			}
			var lines []ownedLine
			for i, o := range read {
				for _, p := range rng.Perm(lineCount[indexOf(want, o.ID)]) {
					lines = append(lines, ownedLine{i, &Line{SalesOrderID: o.ID, LineNumber: 2 * (p + 1)}})
				}
			}
			rng.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
			got := arrange(read, lines, limit, func(o *Order) bool { return o.ID != hidden })
			if len(got) != len(want) {
				t.Fatalf("%d orders, want %d", len(got), len(want))
			}
			for rank, o := range got {
				if o.ID != want[rank].ID {
					t.Fatalf("order %d is %s, want %s", rank, o.ID, want[rank].ID)
				}
				n := lineCount[rank]
				if rank >= limit || o.ID == hidden {
					n = 0
				}
				if o.Lines == nil || len(o.Lines) != n {
					t.Fatalf("order %s has lines %v, want %d", o.ID, o.Lines, n)
				}
				for k, l := range o.Lines {
					if l.SalesOrderID != o.ID || l.LineNumber != 2*(k+1) {
						t.Errorf("order %s line %d: %+v", o.ID, k, l)
					}
				}
				if cap(o.Lines) != len(o.Lines) {
					t.Errorf("order %s: lines with room to append into another order's", o.ID)
				}
			}
		})
	}
}

func indexOf(orders []*Order, id string) int {
	for i, o := range orders {
		if o.ID == id {
			return i
		}
	}
	return -1
}
