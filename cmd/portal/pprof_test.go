package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/openportal/portal/db/dbtest"
)

// The profiles are served only when asked for, only on loopback, and never
// on the API's own listener.
func TestPprofListener(t *testing.T) {
	t.Run("off by default: the API does not serve profiles", func(t *testing.T) {
		base, _ := startMain(t, config{DatabaseURL: dbtest.NewURL(t)})
		if code, _ := get(t, base+"/debug/pprof/"); code != 404 {
			t.Fatalf("GET /debug/pprof/ on the API = %d, want 404", code)
		}
	})
	t.Run("on a loopback address when asked", func(t *testing.T) {
		m := &Main{Config: config{DatabaseURL: dbtest.NewURL(t), Addr: "127.0.0.1:0", PprofAddr: "127.0.0.1:0"},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Stdout: io.Discard}
		if err := m.Open(context.Background()); err != nil {
			t.Fatal(err)
		}
		go m.Serve()
		t.Cleanup(func() { m.Close() })
		// Serve starts the pprof server; the listener already accepts.
		code, body := get(t, "http://"+m.pprofLn.Addr().String()+"/debug/pprof/cmdline")
		if code != 200 || body == "" {
			t.Fatalf("GET /debug/pprof/cmdline = %d %q, want 200 with the command line", code, body)
		}
		if code, _ := get(t, "http://"+m.Addr()+"/debug/pprof/"); code != 404 {
			t.Fatalf("GET /debug/pprof/ on the API = %d, want 404", code)
		}
	})
	for _, addr := range []string{"0.0.0.0:6060", ":6060", "192.0.2.1:6060", "example.com:6060", "6060"} {
		t.Run("refuses "+addr, func(t *testing.T) {
			_, _, err := listenPprof(addr)
			if err == nil || !strings.Contains(err.Error(), "6060") {
				t.Fatalf("listenPprof(%q) = %v, want an error naming the address", addr, err)
			}
		})
	}
}
