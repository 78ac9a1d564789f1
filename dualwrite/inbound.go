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
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/catalog"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/orders"
)

// ERPContactID is the ERP's principal, created by the migration: a
// disabled contact with no password (nobody signs in as it) holding
// Administrators. Every change an inbound event makes runs as it, through
// the same services and permission checks as a person's, and is audited
// under it.
const ERPContactID = "00000000-0000-4000-8000-00000000e4b0"

// ERPViewer returns ctx acting as the ERP's principal.
func ERPViewer(ctx context.Context, idb bun.IDB) (context.Context, error) {
	var row struct {
		RoleIDs  []string `bun:"role_ids,array"`
		RoleKeys []string `bun:"role_keys,array"`
	}
	err := idb.NewRaw(`SELECT
		ARRAY(SELECT wr.id::text FROM web_role wr WHERE wr.key = 'authenticated_users'
			OR wr.id IN (SELECT web_role_id FROM contact_web_role WHERE contact_id = ?) ORDER BY wr.id) AS role_ids,
		ARRAY(SELECT wr.key FROM web_role wr WHERE wr.key IS NOT NULL AND (wr.key = 'authenticated_users'
			OR wr.id IN (SELECT web_role_id FROM contact_web_role WHERE contact_id = ?)) ORDER BY wr.key) AS role_keys`,
		ERPContactID, ERPContactID).Scan(ctx, &row)
	if err != nil {
		return nil, err
	}
	return portal.WithViewer(ctx, &portal.Viewer{ContactID: ERPContactID, RoleIDs: row.RoleIDs, RoleKeys: row.RoleKeys}), nil
}

// Inbound events the ERP may send.
const (
	SalesOrderStatus        = "salesorder.status"
	LegalEntityUpserted     = "legalentity.upserted"
	CustomerAccountUpserted = "customeraccount.upserted"
	ProductUpserted         = "product.upserted"
	PriceListUpserted       = "pricelist.upserted"
)

// MaxInboundBody bounds an inbound event: room for a price list of tens of
// thousands of prices.
const MaxInboundBody = 8 << 20

// Inbound applies the ERP's events (POST /erp/events).
type Inbound struct {
	DB      *bun.DB
	Secret  string
	Catalog *catalog.Service
	Orders  *orders.Service
	Logger  *slog.Logger
}

// InboundHandler is POST /erp/events.
func InboundHandler(bdb *bun.DB, secret string, cat *catalog.Service, ord *orders.Service, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Inbound{DB: bdb, Secret: secret, Catalog: cat, Orders: ord, Logger: logger}
}

type inboundEnvelope struct {
	ID   string          `json:"id"`
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// refusal is an event Portal will not apply: 400 with the reason.
type refusal struct{ msg string }

func (r *refusal) Error() string { return r.msg }

func (h *Inbound) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "POST signed events here."})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxInboundBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": fmt.Sprintf("The event is larger than %d bytes.", MaxInboundBody)})
			return
		}
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "The body could not be read."})
		return
	}
	// The signature first: nothing of an unsigned body is even parsed.
	if !Verify(body, h.Secret, r.Header.Get(HeaderSignature)) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Missing or bad X-Portal-Signature: sign the body with HMAC-SHA256 and the shared secret, as sha256=<hex>."})
		return
	}
	var e inboundEnvelope
	if err := json.Unmarshal(body, &e); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "The body is not an event envelope {id, type, occurredAt, data}: " + err.Error()})
		return
	}
	if _, err := uuid.Parse(e.ID); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "The event id must be a UUID."})
		return
	}
	if _, ok := appliers[e.Type]; !ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("Unknown event type %q; Portal accepts %s.", trunc(e.Type), strings.Join(inboundTypes, ", "))})
		return
	}
	if len(bytes.TrimSpace(e.Data)) == 0 || bytes.TrimSpace(e.Data)[0] != '{' {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "The event's data must be a JSON object."})
		return
	}
	status, answer := h.apply(r.Context(), &e)
	writeJSON(w, status, answer)
}

var inboundTypes = []string{SalesOrderStatus, LegalEntityUpserted, CustomerAccountUpserted, ProductUpserted, PriceListUpserted}

// apply applies e once: the inbox record and the change commit together.
func (h *Inbound) apply(ctx context.Context, e *inboundEnvelope) (int, any) {
	var prior struct {
		Outcome string
		Error   *string
	}
	err := h.DB.NewRaw("SELECT outcome, error FROM inbox_event WHERE id = ?", e.ID).Scan(ctx, &prior)
	if err == nil {
		if prior.Outcome == "APPLIED" {
			return http.StatusOK, map[string]string{"status": "already applied"}
		}
		return http.StatusBadRequest, map[string]string{"error": deref(prior.Error)}
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return h.internal(ctx, e, err)
	}
	var already bool
	err = db.Tx(ctx, h.DB, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO inbox_event (id, type, outcome, payload) VALUES (?, ?, 'APPLIED', ?)
			ON CONFLICT (id) DO NOTHING`, e.ID, e.Type, string(e.Data))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			// The same event, sent twice at once, was applied by the other.
			already = true
			return nil
		}
		ctx, err = ERPViewer(db.WithTx(ctx, tx), tx)
		if err != nil {
			return err
		}
		subject, err := appliers[e.Type](ctx, h, e.Data)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (actor_id, action, subject_type, subject_id, client_ip, detail)
			VALUES (?, ?, ?, ?, ?, ?)`, ERPContactID, "erp."+e.Type, strings.SplitN(e.Type, ".", 2)[0], subject,
			portal.ClientIP(ctx), fmt.Sprintf(`{"eventId":%q}`, e.ID))
		return err
	})
	if already {
		return http.StatusOK, map[string]string{"status": "already applied"}
	}
	if err == nil {
		return http.StatusOK, map[string]string{"status": "applied"}
	}
	var ref *refusal
	var pe *portal.Error
	msg := ""
	switch {
	case errors.As(err, &ref):
		msg = ref.msg
	case errors.As(err, &pe) && pe.Code != portal.EINTERNAL:
		msg = pe.Message
		if pe.Field != "" && !strings.Contains(msg, pe.Field) {
			msg = pe.Field + ": " + msg
		}
	default:
		return h.internal(ctx, e, err)
	}
	// Refused: recorded, so the administrator sees what the ERP tried, and
	// a resend of the same event gets the same answer.
	if _, err := h.DB.ExecContext(ctx, `INSERT INTO inbox_event (id, type, outcome, error, payload) VALUES (?, ?, 'REFUSED', ?, ?)
		ON CONFLICT (id) DO NOTHING`, e.ID, e.Type, msg, string(e.Data)); err != nil {
		return h.internal(ctx, e, err)
	}
	h.Logger.WarnContext(ctx, "ERP event refused", "event", e.ID, "type", e.Type, "reason", msg)
	return http.StatusBadRequest, map[string]string{"error": msg}
}

func (h *Inbound) internal(ctx context.Context, e *inboundEnvelope, err error) (int, any) {
	h.Logger.ErrorContext(ctx, "ERP event failed", "event", e.ID, "type", e.Type, "error", err)
	return http.StatusInternalServerError, map[string]string{"error": "Internal error; send the event again later."}
}

// appliers apply each type's data and name the record changed.
var appliers = map[string]func(ctx context.Context, h *Inbound, data json.RawMessage) (string, error){
	SalesOrderStatus: func(ctx context.Context, h *Inbound, data json.RawMessage) (string, error) {
		var in struct {
			Company        string `json:"company"`
			Number         string `json:"number"`
			Status         string `json:"status"`
			ERPOrderNumber string `json:"erpOrderNumber"`
		}
		if err := decode(data, &in); err != nil {
			return "", err
		}
		if in.Company == "" || in.Number == "" || in.Status == "" {
			return "", &refusal{"salesorder.status needs company, number and status."}
		}
		o, err := h.Orders.Advance(ctx, in.Company, in.Number, orders.Status(in.Status), in.ERPOrderNumber)
		if err != nil {
			return "", err
		}
		return o.ID, nil
	},
	LegalEntityUpserted: func(ctx context.Context, h *Inbound, data json.RawMessage) (string, error) {
		var in catalog.LegalEntityInput
		if err := decode(data, &in); err != nil {
			return "", err
		}
		le, err := h.Catalog.SaveLegalEntity(ctx, in)
		if err != nil {
			return "", err
		}
		return le.ID, nil
	},
	CustomerAccountUpserted: func(ctx context.Context, h *Inbound, data json.RawMessage) (string, error) {
		var in catalog.CustomerAccountInput
		if err := decode(data, &in); err != nil {
			return "", err
		}
		a, err := h.Catalog.SaveCustomerAccount(ctx, in)
		if err != nil {
			return "", err
		}
		return a.ID, nil
	},
	ProductUpserted: func(ctx context.Context, h *Inbound, data json.RawMessage) (string, error) {
		var in catalog.ProductInput
		if err := decode(data, &in); err != nil {
			return "", err
		}
		p, err := h.Catalog.SaveProduct(ctx, in)
		if err != nil {
			return "", err
		}
		return p.ID, nil
	},
	PriceListUpserted: func(ctx context.Context, h *Inbound, data json.RawMessage) (string, error) {
		var in catalog.PriceListInput
		if err := decode(data, &in); err != nil {
			return "", err
		}
		p, err := h.Catalog.SavePriceList(ctx, in)
		if err != nil {
			return "", err
		}
		return p.ID, nil
	},
}

// decode reads data strictly: an unknown field is a refusal, not silently
// dropped, so a typo in the ERP's mapping shows at once.
func decode(data json.RawMessage, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return &refusal{"The event's data does not match its type: " + trunc(err.Error())}
	}
	return nil
}

func trunc(s string) string {
	if len(s) > 200 {
		return strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
