package orders

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/uptrace/bun"

	portal "github.com/openportal/portal"
	"github.com/openportal/portal/db"
	"github.com/openportal/portal/policies"
)

// progress ranks the statuses an order moves through; a status may only
// follow one of lower rank. CANCELLED is apart: see CanAdvance.
var progress = map[Status]int{
	Draft: 0, Submitted: 1, Confirmed: 2, Picked: 3, PartiallyDelivered: 4,
	Delivered: 5, PartiallyInvoiced: 6, Invoiced: 7,
}

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool {
	_, ok := progress[s]
	return ok || s == Cancelled
}

// CanAdvance reports whether an order may move from one status to another
// by the ERP's processing: forward only, possibly skipping steps the ERP
// reports together, or to CANCELLED from anything but INVOICED. DRAFT and
// SUBMITTED are the portal's own and are never reached this way; INVOICED
// and CANCELLED are final.
func CanAdvance(from, to Status) bool {
	if from == Draft || from == Invoiced || from == Cancelled || !from.Valid() {
		return false
	}
	if to == Cancelled {
		return true
	}
	rank, ok := progress[to]
	return ok && to != Submitted && rank > progress[from]
}

// Advance applies a processing status the ERP reports for the order with
// this company code and number, and its ERP order number when given
// (empty keeps the one stored). Reporting the status the order already has
// changes nothing but the ERP number, so a redelivered event is harmless.
// The viewer is the ERP's own principal (package dualwrite, after the
// inbound endpoint checked the signature), which needs GLOBAL WRITE on
// sales_order; the endpoint audits the change under it. An order the
// ERP reports on is synced.
// Returns EINVALID for a status the ERP may not set, ENOTFOUND for an
// unknown order, EFORBIDDEN when the viewer may not change it, ECONFLICT
// for a move backwards or out of a final status.
func (s *Service) Advance(ctx context.Context, company, number string, status Status, erpNumber string) (*Order, error) {
	if !status.Valid() || status == Draft || status == Submitted {
		return nil, portal.FieldErrorf("status", "Status %q is not an ERP processing status; use CONFIRMED, PICKED, PARTIALLY_DELIVERED, DELIVERED, PARTIALLY_INVOICED, INVOICED or CANCELLED.", status)
	}
	company, erpNumber = strings.ToUpper(strings.TrimSpace(company)), strings.TrimSpace(erpNumber)
	var out *Order
	err := db.Tx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		o := new(Order)
		err := tx.NewRaw(`SELECT o.* FROM sales_order o JOIN legal_entity le ON le.id = o.legal_entity_id
			WHERE le.code = ? AND o.number = ? FOR UPDATE OF o`, company, number).Scan(ctx, o)
		if errors.Is(err, sql.ErrNoRows) {
			return portal.Errorf(portal.ENOTFOUND, "Order %s does not exist in company %s.", number, company)
		}
		if err != nil {
			return err
		}
		// Processing statuses are the ERP's: a customer's WRITE on its own
		// orders (for its drafts) does not reach them.
		if !s.Policy.Scope(ctx, policies.TableSalesOrder, policies.Write).All {
			return portal.Errorf(portal.EFORBIDDEN, "Only the ERP sync sets the processing status of order %s.", number)
		}
		if o.Status != status && !CanAdvance(o.Status, status) {
			return portal.Errorf(portal.ECONFLICT, "Order %s is %s and cannot become %s: statuses only move forward.", number, o.Status, status)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sales_order SET status = ?, erp_order_number = COALESCE(NULLIF(?, ''), erp_order_number),
				sync_state = 'SYNCED', version = version + 1, updated_at = now() WHERE id = ?`, status, erpNumber, o.ID); err != nil {
			return err
		}
		out, err = reload(ctx, tx, o.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
