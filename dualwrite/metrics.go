package dualwrite

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/uptrace/bun"
)

// Metrics are the sync's Prometheus series.
type Metrics struct {
	Delivered *prometheus.CounterVec
	Retried   *prometheus.CounterVec
	Dead      *prometheus.CounterVec
	// Latency is from the commit that wrote an event to the ERP's 2xx.
	Latency *prometheus.HistogramVec

	reg prometheus.Registerer
}

// NewMetrics makes the series and registers them with reg (nil: nowhere),
// with the age of the oldest pending event read from bdb at each scrape
// (nil bdb: not exported).
func NewMetrics(reg prometheus.Registerer, bdb *bun.DB) *Metrics {
	m := &Metrics{
		Delivered: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portal_erp_events_delivered_total",
			Help: "Events the ERP accepted (2xx), by event type."}, []string{"type"}),
		Retried: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portal_erp_events_retried_total",
			Help: "Deliveries that failed in a way that may pass (timeout, no connection, 408, 429, 5xx) and will be retried, by event type."}, []string{"type"}),
		Dead: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portal_erp_events_dead_total",
			Help: "Events given up (refused by the ERP or out of attempts) until an administrator replays them, by event type."}, []string{"type"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "portal_erp_delivery_latency_seconds",
			Help:    "Time from the change's commit to the ERP's acceptance, by event type.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600}}, []string{"type"}),
	}
	m.reg = reg
	if reg != nil {
		reg.MustRegister(m.Delivered, m.Retried, m.Dead, m.Latency)
		if bdb != nil {
			reg.MustRegister(&pendingCollector{db: bdb})
		}
	}
	return m
}

var (
	oldestDesc = prometheus.NewDesc("portal_erp_oldest_pending_event_age_seconds",
		"Age of the oldest event not yet delivered nor dead (0 when none).", nil, nil)
	pendingDesc = prometheus.NewDesc("portal_erp_events",
		"Outbox events by state: PENDING, DEAD.", []string{"state"}, nil)
)

// pendingCollector reads the outbox at scrape time, so every instance
// reports the same truth whichever worker delivers.
type pendingCollector struct{ db *bun.DB }

func (c *pendingCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- oldestDesc
	ch <- pendingDesc
}

func (c *pendingCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var row struct {
		Age     float64
		Pending int64
		Dead    int64
	}
	err := c.db.NewRaw(`SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE NOT dead)), 0)::float8 AS age,
		count(*) FILTER (WHERE NOT dead) AS pending, count(*) FILTER (WHERE dead) AS dead
		FROM outbox_event WHERE delivered_at IS NULL`).Scan(ctx, &row)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(oldestDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, row.Age)
	ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(row.Pending), "PENDING")
	ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(row.Dead), "DEAD")
}

var (
	poolConns = prometheus.NewDesc("portal_river_pool_connections",
		"Connections of the ERP worker's own pgx pool (River, LISTEN), by state: acquired, idle; and max.", []string{"state"}, nil)
	poolWaits = prometheus.NewDesc("portal_river_pool_acquire_waits_total",
		"Times a job waited for a connection of the worker's pool.", nil, nil)
)

// poolCollector exports the worker's pgx pool, the second pool of a
// process running a worker (bun's is go_sql_*).
type poolCollector struct{ pool *pgxpool.Pool }

func (c poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- poolConns
	ch <- poolWaits
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.AcquiredConns()), "acquired")
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.IdleConns()), "idle")
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.MaxConns()), "max")
	ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(s.EmptyAcquireCount()))
}

// registerPool exports a worker's pool; a second worker in the same
// process (tests) keeps the first one's.
func (m *Metrics) registerPool(pool *pgxpool.Pool) {
	if m.reg != nil {
		_ = m.reg.Register(poolCollector{pool})
	}
}
