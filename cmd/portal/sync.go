package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/dualwrite"
	"github.com/openportal/portal/dualwrite/erpsim"
	"github.com/openportal/portal/metrics"
)

// erpConfig is how Portal talks to the ERP.
type erpConfig struct {
	URL        string
	Secret     string
	Timeout    time.Duration
	MaxBackoff time.Duration
	// RescueAfter is when a delivery claimed by a vanished worker is
	// taken over by another.
	RescueAfter time.Duration
	// Worker runs the delivery worker inside serve.
	Worker bool
}

// erpFlags registers the ERP settings. The URL (which may carry
// credentials) and the secret are read from the environment after parsing
// (secretFlag), so usage never prints them.
func erpFlags(fs *flag.FlagSet, c *erpConfig, getenv func(string) string) {
	secretFlag(fs, &c.URL, "erp-url", "PORTAL_ERP_URL", getenv, "the ERP's webhook `URL` receiving Portal's events; empty: no events are sent")
	secretFlag(fs, &c.Secret, "erp-secret", "PORTAL_ERP_SECRET", getenv, "shared `secret` signing events both ways (prefer the environment: flags show in ps)")
	fs.DurationVar(&c.Timeout, "erp-timeout", 10*time.Second, "how long one delivery may take before it is retried")
	fs.DurationVar(&c.MaxBackoff, "erp-max-backoff", time.Hour, "the longest wait between retries of an event")
	fs.DurationVar(&c.RescueAfter, "erp-rescue-after", 0, "when a delivery claimed by a worker that vanished (killed, host lost) is taken over; default erp-timeout + 1m, at least erp-timeout + 10s")
}

// worker is the delivery configuration (the caller adds logger and metrics).
func (c *erpConfig) worker() dualwrite.Config {
	return dualwrite.Config{URL: c.URL, Secret: c.Secret, Timeout: c.Timeout, MaxBackoff: c.MaxBackoff,
		MinBackoff: min(time.Second, c.MaxBackoff), RescueAfter: c.RescueAfter}
}

// cmdWorker delivers events without serving HTTP: scale delivery apart
// from the web servers. Any number may run.
func cmdWorker(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c config
	var metricsAddr string
	fs := newFlags("worker", "portal worker [flags]   (delivers outbox events to the ERP)", stderr)
	fs.StringVar(&metricsAddr, "metrics-addr", getenv("PORTAL_METRICS_ADDR"), "serve /metrics on this address, e.g. 127.0.0.1:9464 (env PORTAL_METRICS_ADDR); empty: none")
	dbFlags(fs, &c, getenv)
	erpFlags(fs, &c.ERP, getenv)
	if err := parse(fs, args); err != nil {
		return err
	}
	logger, err := c.logger(stderr)
	if err != nil {
		return err
	}
	d, err := openDatabase(ctx, &c, logger)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := db.Migrate(ctx, d.DB); err != nil {
		return err
	}
	mx := metrics.New()
	mx.Token = getenv("PORTAL_METRICS_TOKEN")
	mx.DB("portal", d.DB.DB)
	var msrv *http.Server
	if metricsAddr != "" {
		ln, err := net.Listen("tcp", metricsAddr)
		if err != nil {
			return fmt.Errorf("metrics address: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", mx.Handler())
		msrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go msrv.Serve(ln)
		logger.Info("metrics listening", "url", "http://"+ln.Addr().String()+"/metrics")
	}
	wc := c.ERP.worker()
	wc.Logger, wc.Metrics = logger, dualwrite.NewMetrics(mx.Registry, d.DB)
	stop, err := dualwrite.Start(ctx, d.DB, d.URL, wc)
	if err != nil {
		return err
	}
	<-ctx.Done()
	logger.Info("worker stopping")
	if msrv != nil {
		msrv.Close()
	}
	return stop()
}

// cmdERPSim runs the simulated ERP.
func cmdERPSim(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c config
	var addr, portalURL string
	var delay time.Duration
	sim := &erpsim.Sim{}
	fs := newFlags("erp-sim", "portal erp-sim --addr 127.0.0.1:9090 --portal-url http://127.0.0.1:8080   (secret from PORTAL_ERP_SECRET or --secret)", stderr)
	fs.StringVar(&addr, "addr", "127.0.0.1:9090", "address to receive Portal's events on")
	secretFlag(fs, &sim.Secret, "secret", "PORTAL_ERP_SECRET", getenv, "shared `secret`")
	fs.StringVar(&portalURL, "portal-url", "", "Portal's base URL, to send order statuses to its /erp/events (env PORTAL_BASE_URL); empty: none sent")
	fs.DurationVar(&delay, "status-delay", 10*time.Second, "wait before each status sent back (CONFIRMED, PICKED, DELIVERED, INVOICED)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	if err := parse(fs, args); err != nil {
		return err
	}
	if portalURL == "" {
		portalURL = getenv("PORTAL_BASE_URL")
	}
	if sim.Secret == "" {
		return errors.New("erp-sim needs the shared secret: set PORTAL_ERP_SECRET (or --secret)")
	}
	logger, err := c.logger(stderr)
	if err != nil {
		return err
	}
	sim.PortalURL, sim.StatusDelay, sim.Logger = portalURL, delay, logger
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "ERP simulator listening on http://%s/\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sim.Close()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return errors.Join(err, srv.Shutdown(sctx))
}

// demoERP starts the simulator in-process for serve --demo when no ERP is
// configured, so a demo order moves through its statuses within a minute.
// It returns the ERP's URL and a stop function.
func demoERP(c *erpConfig, portalURL string, logger *slog.Logger) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	sim := &erpsim.Sim{Secret: c.Secret, PortalURL: portalURL, StatusDelay: 10 * time.Second, Logger: logger}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	url := "http://" + ln.Addr().String() + "/"
	logger.Info("demo ERP simulator started", "url", url)
	return url, func() { sim.Close(); srv.Close() }, nil
}

// randomSecret is the demo's shared secret when none is configured.
func randomSecret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return hex.EncodeToString(b)
}
