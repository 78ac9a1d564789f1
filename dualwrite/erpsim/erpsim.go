// Package erpsim is a stand-in ERP for demos and tests: it accepts Portal's
// events the way an ERP integration must (signature checked, each
// Idempotency-Key applied once, an ERP order number in the answer), and
// after a delay sends each order's processing statuses back to Portal's
// /erp/events, signed, until INVOICED.
package erpsim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/openportal/portal/dualwrite"
)

// Statuses the simulator reports for every order, in order.
var Statuses = []string{"CONFIRMED", "PICKED", "DELIVERED", "INVOICED"}

// Sim is the simulated ERP. Set the fields before serving.
type Sim struct {
	// Secret checks Portal's signatures and signs the statuses sent back.
	Secret string
	// PortalURL is Portal's base URL (http://host:port); empty sends
	// no statuses back.
	PortalURL string
	// StatusDelay is the wait before each status sent back (default 5s).
	StatusDelay time.Duration
	// Fault, when set, is asked before each request is applied; a non-zero
	// status is answered instead (a test's ERP outage). attempt counts the
	// requests with this key, from 1.
	Fault func(key string, attempt int) int
	// Slow, when set, is how long to sit on an applied event before
	// answering (an ERP slower than Portal's timeout).
	Slow   func(key string, attempt int) time.Duration
	Logger *slog.Logger

	mu       sync.Mutex
	attempts map[string]int    // requests per idempotency key
	applied  map[string]string // idempotency key → answer body
	order    []string          // keys in the order first applied
	types    map[string]string // key → event type
	next     int
	wg       sync.WaitGroup
	stop     chan struct{}
	once     sync.Once
}

func (s *Sim) init() {
	s.once.Do(func() {
		s.attempts, s.applied, s.types = map[string]int{}, map[string]string{}, map[string]string{}
		s.stop = make(chan struct{})
		s.next = 100000
		if s.Logger == nil {
			s.Logger = slog.New(slog.DiscardHandler)
		}
		if s.StatusDelay <= 0 {
			s.StatusDelay = 5 * time.Second
		}
	})
}

// ServeHTTP receives one event.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.init()
	if r.Method != http.MethodPost {
		http.Error(w, "POST events here", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "cannot read the body"})
		return
	}
	if !dualwrite.Verify(body, s.Secret, r.Header.Get(dualwrite.HeaderSignature)) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "bad signature"})
		return
	}
	key := r.Header.Get(dualwrite.HeaderIdempotency)
	var e struct {
		ID   string          `json:"id"`
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if key == "" || json.Unmarshal(body, &e) != nil || e.ID != key {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "malformed event or missing Idempotency-Key"})
		return
	}
	s.mu.Lock()
	s.attempts[key]++
	attempt := s.attempts[key]
	s.mu.Unlock()
	if s.Fault != nil {
		if status := s.Fault(key, attempt); status != 0 {
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"error":"simulated %d"}`, status)
			return
		}
	}
	s.mu.Lock()
	answer, seen := s.applied[key]
	var order struct{ Company, Number string }
	if !seen {
		answer = "{}"
		if e.Type == "salesorder.submitted" {
			s.next++
			erpNumber := fmt.Sprintf("ERP-%d", s.next)
			answer = fmt.Sprintf(`{"erpOrderNumber":%q}`, erpNumber)
			json.Unmarshal(e.Data, &order)
			if s.PortalURL != "" && order.Number != "" {
				s.wg.Add(1)
				go s.sendStatuses(order.Company, order.Number, erpNumber)
			}
		}
		s.applied[key] = answer
		s.types[key] = e.Type
		s.order = append(s.order, key)
	}
	s.mu.Unlock()
	if s.Slow != nil {
		if d := s.Slow(key, attempt); d > 0 {
			time.Sleep(d)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(answer))
}

// sendStatuses reports an order's progress to Portal, one status per delay.
func (s *Sim) sendStatuses(company, number, erpNumber string) {
	defer s.wg.Done()
	for _, status := range Statuses {
		select {
		case <-s.stop:
			return
		case <-time.After(s.StatusDelay):
		}
		data := map[string]string{"company": company, "number": number, "status": status, "erpOrderNumber": erpNumber}
		if err := s.Send("salesorder.status", data); err != nil {
			s.Logger.Warn("erp-sim: status not delivered", "order", number, "status", status, "error", err)
			return
		}
	}
}

// Send posts one signed event to Portal's /erp/events, retrying a few times
// while Portal is unreachable, busy (429, 408) or answers 5xx.
func (s *Sim) Send(typ string, data any) error {
	s.init()
	body, err := json.Marshal(dualwrite.Envelope{ID: uuid.NewString(), Type: typ, OccurredAt: time.Now().UTC(), Data: data})
	if err != nil {
		return err
	}
	var last error
	for attempt := 0; attempt < 5; attempt++ {
		if attempt > 0 {
			select {
			case <-s.stop:
				return last
			case <-time.After(time.Duration(attempt) * time.Second):
			}
		}
		status, answer, err := Post(context.Background(), s.PortalURL+"/erp/events", s.Secret, body)
		if err != nil {
			last = err
			continue
		}
		if status == http.StatusOK {
			return nil
		}
		last = fmt.Errorf("portal answered %d: %s", status, answer)
		// 429 and 408 pass too: Portal's request gate answers 429 when it
		// is busy (server.gate), and an ERP must try again later.
		if status < 500 && status != http.StatusTooManyRequests && status != http.StatusRequestTimeout {
			return last
		}
	}
	return last
}

// Post sends a signed body to url and returns the status and answer.
func Post(ctx context.Context, url, secret string, body []byte) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(dualwrite.HeaderSignature, dualwrite.Sign(body, secret))
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	return res.StatusCode, string(b), nil
}

// Close stops sending statuses and waits for the senders.
func (s *Sim) Close() {
	s.init()
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	s.wg.Wait()
}

// Attempts is how many requests arrived with this idempotency key.
func (s *Sim) Attempts(key string) int {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[key]
}

// Applied lists the idempotency keys applied, in the order they were
// first applied; each key appears once however often it was sent.
func (s *Sim) Applied() []string {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.order...)
}

// Requests is the number of requests received in all.
func (s *Sim) Requests() int {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.attempts {
		n += c
	}
	return n
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
