package main

import (
	"runtime/debug"
	"testing"
)

// TestTuneGC: serve collects at 5x the live heap under a 1 GiB soft limit,
// unless GOGC or GOMEMLIMIT say otherwise.
func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	for _, c := range []struct {
		name          string
		env           map[string]string
		percent       int
		limit, before int64
	}{
		{"defaults", nil, serveGCPercent, serveMemoryLimit, 1 << 40},
		{"GOGC and GOMEMLIMIT kept", map[string]string{"GOGC": "100", "GOMEMLIMIT": "2GiB"}, 100, 1 << 40, 1 << 40},
	} {
		t.Run(c.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(c.before)
			tuneGC(func(k string) string { return c.env[k] })
			if got := debug.SetGCPercent(100); got != c.percent {
				t.Errorf("GC percent %d, want %d", got, c.percent)
			}
			if got := debug.SetMemoryLimit(-1); got != c.limit {
				t.Errorf("memory limit %d, want %d", got, c.limit)
			}
		})
	}
}
