// Package db opens Portal's PostgreSQL database through bun (pgx driver,
// pgdialect), applies the embedded migrations, and turns PostgreSQL errors
// into Portal's error codes. The private cluster lives in db/pgcluster and
// the test harness in db/dbtest.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	portal "github.com/openportal/portal"
)

// poolSize is how many connections Open keeps, open and idle alike. Idle
// as many as open: with fewer idle slots, every burst above them closed
// connections on release and opened new ones for the next (a new backend,
// every statement prepared again). 20 is kept: at 32 requests in flight
// on 2 cores (BenchmarkMyOrdersParallel) pools of 8, 20 and 32 gave the
// same throughput within the noise of a shared machine, since PostgreSQL
// runs at most two statements at once here whatever the pool; 20 leaves
// room for transactions that hold a connection between statements (order
// entry) without making requests queue for one, and four instances still
// fit in PostgreSQL's default 100 connections.
const poolSize = 20

// Open connects to the database at url and checks that it answers.
func Open(ctx context.Context, url string) (*bun.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	// Times are stored and read in UTC whatever the server's default.
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["timezone"] = "UTC"
	// Prepared statements keep one generic plan instead of planning anew
	// for every execution. PostgreSQL's default (auto) weighs the two and,
	// for a customer representative's page of orders (account scope), kept
	// choosing a custom plan: planning a join on every request, 40 % of
	// PostgreSQL's work for scenario (a') (issue 9: (a') at 0.78 of (a),
	// 1.0 with generic plans). Portal's hot statements find rows by key
	// whatever the values, which is what a generic plan is good at; a
	// statement whose best plan depends on its values should not be one
	// prepared statement. A plan_cache_mode in the database URL wins
	// (TestGenericPlans).
	if _, set := cfg.RuntimeParams["plan_cache_mode"]; !set {
		cfg.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	}
	// pgx's default QueryExecModeCacheStatement prepares each statement
	// text once per connection and reuses it: Select's bound parameters
	// keep the hot queries to a few texts, so they are parsed and planned
	// once per connection, not once per request.
	cfg.Tracer = tracer{}
	sqldb := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(utcTimes))
	sqldb.SetMaxOpenConns(poolSize)
	sqldb.SetMaxIdleConns(poolSize)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	bdb := bun.NewDB(sqldb, pgdialect.New())
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := bdb.PingContext(pctx); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return bdb, nil
}

// utcTimes makes a connection read timestamptz values as UTC times. pgx
// builds them with time.Unix, in the process's local zone, whatever the
// session's timezone; the instant is the same, but a local-zone time
// printed or compared by location would not be UTC. Applies to reads
// through bun and through Query alike (one type map per connection).
func utcTimes(_ context.Context, conn *pgx.Conn) error {
	conn.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
		Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
	return nil
}

// PgError returns the PostgreSQL error inside err, if any.
func PgError(err error) *pgconn.PgError {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

// IsUniqueViolation reports whether err is a unique violation of the named
// constraint (any constraint when name is "").
func IsUniqueViolation(err error, name string) bool {
	pe := PgError(err)
	return pe != nil && pe.Code == "23505" && (name == "" || pe.ConstraintName == name)
}

// NotFound turns sql.ErrNoRows into ENOTFOUND with the message given, and
// leaves other errors alone.
func NotFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return portal.Errorf(portal.ENOTFOUND, format, args...)
	}
	return err
}

type txKey struct{}

// WithTx returns a context in which Tx joins tx instead of starting a
// transaction of its own, and IDB answers tx. The ERP's inbound events use
// it to apply a change through the domain services and record the event in
// one transaction.
func WithTx(ctx context.Context, tx bun.Tx) context.Context {
	return context.WithValue(ctx, txKey{}, tx)
}

// IDB is the transaction ctx carries (see WithTx), or db.
func IDB(ctx context.Context, db *bun.DB) bun.IDB {
	if tx, ok := ctx.Value(txKey{}).(bun.Tx); ok {
		return tx
	}
	return db
}

// Tx runs fn in a transaction, retrying a few times when PostgreSQL reports a
// serialization failure or deadlock, which are safe to retry as a whole.
// Inside a transaction carried by ctx (WithTx) it runs fn in that one, and
// the owner of that transaction retries.
func Tx(ctx context.Context, db *bun.DB, fn func(ctx context.Context, tx bun.Tx) error) error {
	_, err := TxValue(ctx, db, func(ctx context.Context, tx bun.Tx) (struct{}, error) {
		return struct{}{}, fn(ctx, tx)
	})
	return err
}

// TxValue is Tx for a transaction that answers with a value: the value of
// the attempt that committed, or T's zero value with the error. It spares
// every exported method the same tail (declare out, assign it inside,
// check err, return out).
func TxValue[T any](ctx context.Context, db *bun.DB, fn func(ctx context.Context, tx bun.Tx) (T, error)) (T, error) {
	if tx, ok := ctx.Value(txKey{}).(bun.Tx); ok {
		return fn(ctx, tx)
	}
	var zero T
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var out T
		err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			var err error
			out, err = fn(ctx, tx)
			return err
		})
		if err == nil {
			return out, nil
		}
		pe := PgError(err)
		if pe == nil || (pe.Code != "40001" && pe.Code != "40P01") {
			return zero, err
		}
		time.Sleep(time.Duration(attempt+1) * 10 * time.Millisecond)
	}
	return zero, err
}
