package server

import (
	"net/http"
	"runtime"
	"sync/atomic"
	"time"

	portal "github.com/openportal/portal"
)

// DefaultInFlight is how many requests the routes that work the database
// run at once when Server.MaxInFlight is zero: four per core. More do not
// finish sooner — PostgreSQL and Go share the same cores — they only queue
// again further in, for a pooled connection, where database/sql hands a
// freed connection to a random waiter (Go ≥ 1.23): that lottery, not the
// work, made the slowest 1 % of requests three times the median at 32
// connections (bench/run.sh, issue 9). Four per core keeps both cores busy
// while a request waits on a round trip, and at most 2 pooled connections
// per request stay under db's pool of 20.
func DefaultInFlight() int { return 4 * runtime.GOMAXPROCS(0) }

// maxQueueWait bounds how long a request waits for its turn: past it the
// portal is overloaded, and answering 429 with Retry-After lets the client
// back off instead of piling more on.
const maxQueueWait = 10 * time.Second

// gate admits at most cap(slots) requests at once, the others in the order
// they came: a goroutine blocked sending on a channel is woken first in,
// first out, so the wait is shared evenly and the slowest request waits
// about as long as the median one.
type gate struct {
	slots chan struct{}
	wait  time.Duration
	// waiting counts the requests in the queue.
	waiting atomic.Int64
}

func newGate(n int, wait time.Duration) *gate {
	return &gate{slots: make(chan struct{}, n), wait: wait}
}

// wrap admits next's requests through the gate; busy answers one that
// waited too long (busyError, or busyGraphQL on /graphql).
func (g *gate) wrap(next http.Handler, busy func(http.ResponseWriter, *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case g.slots <- struct{}{}:
		default:
			// Full: queue, bounded in time and by the client's patience.
			if !g.queue(w, r, busy) {
				return
			}
		}
		defer func() { <-g.slots }()
		next.ServeHTTP(w, r)
	})
}

// busyMessage is what a request that waited too long is told.
const busyMessage = "Portal is busy with too many requests at once; try again in a moment."

// busyError answers 429 RATE_LIMITED as every route group answers errors
// (WriteError: JSON or an HTML page).
func busyError(w http.ResponseWriter, r *http.Request) {
	WriteError(w, r, portal.Errorf(portal.ERATELIMITED, busyMessage))
}

// busyGraphQL answers 429 on /graphql as a GraphQL response (GraphQLError).
func busyGraphQL(w http.ResponseWriter, r *http.Request) {
	GraphQLError(w, r, portal.Errorf(portal.ERATELIMITED, busyMessage))
}

// queue waits for a place and reports whether the request got one; a
// request that waited too long is answered by busy. It leaves the queue's
// count when it leaves the queue, not when its request ends.
func (g *gate) queue(w http.ResponseWriter, r *http.Request, busy func(http.ResponseWriter, *http.Request)) bool {
	g.waiting.Add(1)
	defer g.waiting.Add(-1)
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return true
	case <-t.C:
		w.Header().Set("Retry-After", "1")
		busy(w, r)
		return false
	case <-r.Context().Done():
		return false
	}
}
