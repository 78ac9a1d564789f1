package dualwrite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"

	"github.com/openportal/portal/db"
	"github.com/openportal/portal/outbox"
)

// Config is how the worker reaches the ERP and how patiently.
type Config struct {
	// URL receives the events (PORTAL_ERP_URL); Secret signs them
	// (PORTAL_ERP_SECRET).
	URL    string
	Secret string
	// Timeout bounds one POST (default 10s).
	Timeout time.Duration
	// MaxAttempts is how many answers that may pass (timeouts, 408, 429,
	// 5xx, no connection) an event gets before it is dead (default 20:
	// about a day with the default backoff).
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the wait before a retry, which
	// doubles with each attempt and is jittered (defaults 1s and 1h).
	MinBackoff, MaxBackoff time.Duration
	// Concurrency is how many events one worker delivers at once (default 100).
	Concurrency int
	// OrderWait is how long an event waits before looking again when an
	// earlier event of its record is still on its way (default 250ms).
	OrderWait time.Duration
	// RescueAfter is when a delivery whose worker vanished (killed, host
	// lost) is tried again by another (default Timeout + 1 minute). River's
	// rescuer looks every 30 seconds on top of it.
	RescueAfter time.Duration
	// PollInterval is the fallback when no notification arrives (default
	// 1s); new events normally wake the worker at once via LISTEN/NOTIFY.
	PollInterval time.Duration
	Logger       *slog.Logger
	// Metrics receives counts; nil counts nowhere.
	Metrics *Metrics
}

func (c *Config) defaults() {
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 20
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = time.Hour
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 100
	}
	if c.OrderWait <= 0 {
		c.OrderWait = 250 * time.Millisecond
	}
	if c.RescueAfter <= 0 {
		c.RescueAfter = c.Timeout + time.Minute
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics(nil, nil)
	}
}

// Worker delivers outbox events to the ERP. Any number of workers, in any
// number of processes, may run over one database: River hands each job to
// one of them.
type Worker struct {
	cfg    Config
	db     *bun.DB
	pool   *pgxpool.Pool
	client *river.Client[pgx.Tx]
	http   *http.Client
}

// New prepares a worker over bdb, with its own small pgx pool to
// databaseURL for River (LISTEN needs pgx connections; bun's go through
// database/sql). Run starts it; Close releases the pool.
func New(ctx context.Context, bdb *bun.DB, databaseURL string, cfg Config) (*Worker, error) {
	if cfg.URL == "" {
		return nil, errors.New("dualwrite: no ERP URL (PORTAL_ERP_URL)")
	}
	if cfg.Secret == "" {
		return nil, errors.New("dualwrite: no ERP secret (PORTAL_ERP_SECRET): events must be signed")
	}
	cfg.defaults()
	pcfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("dualwrite: database URL: %w", err)
	}
	pcfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	pcfg.MaxConns = int32(min(cfg.Concurrency, 20) + 5)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("dualwrite: connect: %w", err)
	}
	w := &Worker{cfg: cfg, db: bdb, pool: pool}
	cfg.Metrics.registerPool(pool)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = cfg.Concurrency
	w.http = &http.Client{Timeout: cfg.Timeout, Transport: tr,
		// A redirect is an answer like any other 3xx: the ERP's URL is
		// configured, never discovered.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	workers := river.NewWorkers()
	river.AddWorker(workers, &deliverer{w: w})
	quiet := slog.New(&levelFloor{Handler: cfg.Logger.Handler(), min: slog.LevelWarn})
	w.client, err = river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:               map[string]river.QueueConfig{outbox.Queue: {MaxWorkers: cfg.Concurrency}},
		Workers:              workers,
		JobTimeout:           cfg.Timeout + 5*time.Second,
		RescueStuckJobsAfter: max(cfg.RescueAfter, cfg.Timeout+10*time.Second),
		FetchPollInterval:    cfg.PollInterval,
		// River fetches at most Concurrency jobs per fetch and fetches at
		// most once per cooldown: 100 per 20ms caps a worker at 5,000
		// events/s (River's defaults, 100 per 100ms, at 1,000).
		FetchCooldown: min(cfg.PollInterval, 20*time.Millisecond),
		RetryPolicy:   retryPolicy{cfg.MinBackoff, cfg.MaxBackoff},
		Logger:        quiet,
	})
	if err != nil {
		pool.Close()
		return nil, err
	}
	return w, nil
}

// Run delivers events until ctx ends, then lets deliveries under way finish
// for a few seconds and stops.
func (w *Worker) Run(ctx context.Context) error {
	// Stopped before it got going: not an error.
	if err := w.adopt(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	if err := w.client.Start(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	<-ctx.Done()
	stop, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.client.Stop(stop); err != nil {
		stop2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel2()
		return w.client.StopAndCancel(stop2)
	}
	return nil
}

// Close releases the worker's connections; call it after Run returned.
func (w *Worker) Close() { w.pool.Close() }

// adopt gives a delivery job to events written before River was
// installed (job_id null), so an upgrade loses none.
func (w *Worker) adopt(ctx context.Context) error {
	return db.Tx(ctx, w.db, func(ctx context.Context, tx bun.Tx) error {
		var ids []string
		if err := tx.NewRaw(`SELECT id FROM outbox_event WHERE job_id IS NULL AND delivered_at IS NULL AND NOT dead
			ORDER BY seq FOR UPDATE SKIP LOCKED`).Scan(ctx, &ids); err != nil {
			return err
		}
		for _, id := range ids {
			if err := outbox.ScheduleTx(ctx, tx, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// event is an outbox_event row as the worker reads it.
type event struct {
	ID          string
	Type        string
	AggregateID string
	AfterID     sql.NullString
	Seq         int64
	Payload     json.RawMessage
	Attempts    int
	JobID       sql.NullInt64
	DeliveredAt sql.NullTime
	Dead        bool
	CreatedAt   time.Time
	BlockerID   sql.NullString
	BlockerDead sql.NullBool
}

// syncTables are the records whose syncState follows their events.
var syncTables = map[string]string{
	outbox.SalesOrderSubmitted: "sales_order",
	outbox.ContactUpserted:     "contact",
}

type deliverer struct {
	river.WorkerDefaults[outbox.DeliverArgs]
	w *Worker
}

func (d *deliverer) Work(ctx context.Context, job *river.Job[outbox.DeliverArgs]) error {
	return d.w.deliver(ctx, job.ID, job.Args.EventID)
}

// answer is what came back from one POST.
type answer struct {
	status     int // 0: no answer
	body       string
	retryAfter time.Duration
	err        error
}

// deliver sends one event, once its record's earlier events are delivered,
// and records the outcome.
func (w *Worker) deliver(ctx context.Context, jobID int64, eventID string) error {
	// The event and the first earlier event of its record (or of the
	// contact an order names) still on its way, in one round trip.
	var ev event
	err := w.db.NewRaw(`SELECT e.id, e.type, e.aggregate_id, e.after_id, e.seq, e.payload, e.attempts, e.job_id,
			e.delivered_at, e.dead, e.created_at, b.id AS blocker_id, b.dead AS blocker_dead
		FROM outbox_event e LEFT JOIN LATERAL (
			SELECT id, dead FROM outbox_event b
			WHERE b.aggregate_id IN (e.aggregate_id, COALESCE(e.after_id, e.aggregate_id)) AND b.seq < e.seq AND b.delivered_at IS NULL
			ORDER BY b.seq LIMIT 1) b ON true
		WHERE e.id = ?`, eventID).Scan(ctx, &ev)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	// Delivered, dead, or replayed under a newer job: nothing to do.
	if ev.DeliveredAt.Valid || ev.Dead || ev.JobID.Int64 != jobID {
		return nil
	}
	if ev.BlockerID.Valid {
		// Wait without spending an attempt; a dead predecessor holds its
		// successors until an administrator replays it.
		wait := w.cfg.OrderWait
		if ev.BlockerDead.Bool {
			wait = min(w.cfg.MaxBackoff, 60*w.cfg.OrderWait)
		}
		return river.JobSnooze(wait)
	}

	body, err := json.Marshal(Envelope{ID: ev.ID, Type: ev.Type, OccurredAt: ev.CreatedAt.UTC(), Data: ev.Payload})
	if err != nil {
		return err
	}
	a := w.post(ctx, ev.ID, body)
	if ctx.Err() != nil {
		// Shutting down (or River's job timeout): not the ERP's fault,
		// so no attempt is counted; the same key goes again later.
		return ctx.Err()
	}
	return w.record(ctx, &ev, a)
}

func (w *Worker) post(ctx context.Context, id string, body []byte) answer {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderIdempotency, id)
	req.Header.Set(HeaderSignature, Sign(body, w.cfg.Secret))
	res, err := w.http.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	a := answer{status: res.StatusCode, body: string(b), retryAfter: parseRetryAfter(res.Header.Get("Retry-After"))}
	if err != nil && res.StatusCode/100 == 2 {
		// A success whose body broke off may lack the ERP number: ask again.
		return answer{err: fmt.Errorf("read answer: %w", err)}
	}
	return a
}

// parseRetryAfter reads seconds or an HTTP date; 0 when absent or bad.
func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// retryable reports whether an answer may pass: no answer, 408, 429, 5xx.
func (a answer) retryable() bool {
	return a.err != nil || a.status == http.StatusRequestTimeout || a.status == http.StatusTooManyRequests || a.status >= 500
}

// maxAnswer bounds what is kept of the ERP's answer for the administrator.
const maxAnswer = 2000

func (w *Worker) record(ctx context.Context, ev *event, a answer) error {
	m := w.cfg.Metrics
	var status *int
	if a.err == nil {
		status = &a.status
	}
	text := a.body
	if len(text) > maxAnswer {
		text = strings.ToValidUTF8(text[:maxAnswer], "")
	}
	var lastErr *string
	if a.err != nil {
		s := a.err.Error()
		lastErr = &s
	}
	table := syncTables[ev.Type]
	switch {
	case a.err == nil && a.status/100 == 2:
		var reply struct {
			ERPOrderNumber string `json:"erpOrderNumber"`
		}
		_ = json.Unmarshal([]byte(a.body), &reply) // an answer without JSON is still a success
		// One statement, so atomic without a transaction's extra round
		// trips: the event delivered and its record synced. The contact
		// stays PENDING while a later event of it is on its way.
		_, err := w.db.ExecContext(ctx, `WITH ev AS (
				UPDATE outbox_event SET delivered_at = now(), attempts = attempts + 1,
					last_status = ?, last_answer = ?, last_error = NULL, last_attempt_at = now()
				WHERE id = ? AND delivered_at IS NULL AND NOT dead RETURNING type, aggregate_id),
			o AS (UPDATE sales_order SET sync_state = 'SYNCED', erp_order_number = COALESCE(NULLIF(?, ''), erp_order_number),
					version = version + 1, updated_at = now()
				WHERE id = (SELECT aggregate_id FROM ev WHERE type = ?) RETURNING 1)
			UPDATE contact SET sync_state = CASE WHEN EXISTS (SELECT 1 FROM outbox_event
					WHERE aggregate_id = contact.id AND id <> ? AND delivered_at IS NULL AND NOT dead) THEN 'PENDING' ELSE 'SYNCED' END
			WHERE id = (SELECT aggregate_id FROM ev WHERE type = ?)`,
			status, text, ev.ID, strings.TrimSpace(reply.ERPOrderNumber), outbox.SalesOrderSubmitted, ev.ID, outbox.ContactUpserted)
		if err != nil {
			return err
		}
		m.Delivered.WithLabelValues(ev.Type).Inc()
		m.Latency.WithLabelValues(ev.Type).Observe(time.Since(ev.CreatedAt).Seconds())
		return nil
	case a.retryable() && ev.Attempts+1 < w.cfg.MaxAttempts:
		wait := w.backoff(ev.Attempts + 1)
		if a.retryAfter > 0 {
			wait = min(a.retryAfter, w.cfg.MaxBackoff)
		}
		_, err := w.db.ExecContext(ctx, `UPDATE outbox_event SET attempts = attempts + 1, next_attempt_at = now() + ? * interval '1 microsecond',
			last_status = ?, last_answer = ?, last_error = ?, last_attempt_at = now() WHERE id = ? AND delivered_at IS NULL AND NOT dead`,
			wait.Microseconds(), status, text, lastErr, ev.ID)
		if err != nil {
			return err
		}
		m.Retried.WithLabelValues(ev.Type).Inc()
		w.cfg.Logger.Info("ERP delivery will be retried", "event", ev.ID, "type", ev.Type, "status", a.status,
			"error", a.err, "attempt", ev.Attempts+1, "wait", wait)
		return river.JobSnooze(wait)
	default:
		err := db.Tx(ctx, w.db, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE outbox_event SET dead = true, attempts = attempts + 1,
				last_status = ?, last_answer = ?, last_error = ?, last_attempt_at = now() WHERE id = ? AND delivered_at IS NULL AND NOT dead`,
				status, text, lastErr, ev.ID); err != nil {
				return err
			}
			if table != "" {
				_, err := tx.ExecContext(ctx, "UPDATE "+table+" SET sync_state = 'FAILED' WHERE id = ?", ev.AggregateID)
				return err
			}
			return nil
		})
		if err != nil {
			return err
		}
		m.Dead.WithLabelValues(ev.Type).Inc()
		w.cfg.Logger.Warn("ERP refused an event; it is dead until an administrator replays it", "event", ev.ID,
			"type", ev.Type, "status", a.status, "error", a.err, "attempts", ev.Attempts+1)
		return nil
	}
}

// backoff is the wait before attempt n+1: MinBackoff doubled per attempt,
// capped at MaxBackoff, with "equal jitter" (half fixed, half random) so
// the events of an ERP outage do not all come back at the same instant.
func (w *Worker) backoff(n int) time.Duration {
	d := w.cfg.MinBackoff << min(n-1, 30)
	if d <= 0 || d > w.cfg.MaxBackoff {
		d = w.cfg.MaxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

// retryPolicy is River's wait after a failure of Portal itself (the
// database unreachable while recording an answer), not of the ERP.
type retryPolicy struct{ min, max time.Duration }

func (p retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	d := p.min << min(max(job.Attempt-1, 0), 20)
	if d <= 0 || d > p.max {
		d = p.max
	}
	return time.Now().Add(d/2 + rand.N(d/2+1))
}

// levelFloor drops River's records below min: its info logs are per job.
type levelFloor struct {
	slog.Handler
	min slog.Level
}

func (h *levelFloor) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h *levelFloor) WithAttrs(as []slog.Attr) slog.Handler {
	return &levelFloor{Handler: h.Handler.WithAttrs(as), min: h.min}
}

func (h *levelFloor) WithGroup(name string) slog.Handler {
	return &levelFloor{Handler: h.Handler.WithGroup(name), min: h.min}
}

// Start runs a worker over bdb (databaseURL is its URL, for the worker's
// own pool) until the returned stop is called; stop waits for it.
func Start(ctx context.Context, bdb *bun.DB, databaseURL string, cfg Config) (stop func() error, err error) {
	w, err := New(ctx, bdb, databaseURL, cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	w.cfg.Logger.Info("ERP sync worker started", "erp", cfg.URL)
	return func() error {
		cancel()
		err := <-done
		w.Close()
		return err
	}, nil
}
