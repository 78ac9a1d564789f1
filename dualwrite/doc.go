// Package dualwrite keeps Portal and the ERP in step: submitted orders and
// contacts go out, order statuses and master data come in. Portal talks to
// any ERP through signed webhooks; this comment is the protocol an ERP
// integrator codes against.
//
// # Outbound: Portal → ERP
//
// The transaction that submits an order, or creates or changes a contact,
// records an event (package outbox) and the River job that delivers it.
// A worker — inside `portal serve` and in any number of `portal worker`
// processes — POSTs each event to PORTAL_ERP_URL:
//
//	POST $PORTAL_ERP_URL
//	Content-Type: application/json
//	Idempotency-Key: <event id>
//	X-Portal-Signature: sha256=<hex HMAC-SHA256(body, $PORTAL_ERP_SECRET)>
//
//	{"id":"…","type":"salesorder.submitted","occurredAt":"2026-11-29T10:00:00Z","data":{…}}
//
// Types: salesorder.submitted (data: the order with its lines, by company
// code, order number, account numbers, product numbers) and
// contact.upserted (data: the contact by id, with company and account
// number). A repeat of an event carries the same body and the same
// Idempotency-Key: the ERP must apply each key once and answer a repeat as
// it answered the first.
//
// Answers:
//   - 2xx: delivered. A JSON {"erpOrderNumber":"…"} in the answer to an
//     order is stored on the order; its syncState becomes SYNCED.
//   - 408, 429 (Retry-After honoured, seconds or HTTP date), 5xx, no
//     connection, no answer within the timeout: retried with exponential
//     backoff and jitter (1s doubling to 1h by default), up to 20 attempts.
//   - any other status, or out of attempts: dead. The order's or contact's
//     syncState becomes FAILED; the ERP's status and the start of its
//     answer are kept for the administrator (GraphQL erpEvents), who can
//     replay the event once the cause is fixed (replayErpEvent).
//
// Order: the events of one order or contact are delivered in the order they
// were written, and a contact's events before an order that names it. An
// event whose predecessor is still on its way waits (a River snooze, no
// attempt spent); a dead predecessor holds its successors until replayed.
// Redirects are not followed. No event is sent inside a request.
//
// Delivery is at least once: a worker that dies after the ERP applied an
// event but before Portal recorded the answer sends it again (River rescues
// the job after RescueAfter); the Idempotency-Key makes that harmless.
//
// # Inbound: ERP → Portal
//
//	POST /erp/events      same envelope and X-Portal-Signature
//
// Types and their data (field names as in the GraphQL inputs):
//   - salesorder.status: {"company":"USMF","number":"…","status":"CONFIRMED","erpOrderNumber":"…"}
//     — an OrderStatus after SUBMITTED; statuses move forward only (steps
//     may be skipped); a move backwards is refused.
//   - legalentity.upserted: a LegalEntityInput {code, name}
//   - customeraccount.upserted: a CustomerAccountInput (with deliveryAddresses)
//   - product.upserted: a ProductInput (with units)
//   - pricelist.upserted: a PriceListInput (with prices)
//
// The upserts go through the same services and validation as the admin
// mutations, acting as the ERP's principal ("ERP sync", ERPContactID: a
// disabled contact holding Administrators, whose changes are in the audit
// log). Unknown fields are refused.
//
// Answers: 200 {"status":"applied"} — or {"status":"already applied"} for
// an id seen before: each event id is applied once, the inbox record
// (inbox_event) committing with the change; 400 {"error":"…"} for a
// malformed or invalid event, with the reason (the refusal is recorded, and
// the same id gets the same answer again); 401 for a missing or bad
// signature; 413 over 8 MiB; 429 (Retry-After) when Portal is busy, and
// 500: send again later. Nothing changes unless the answer is 200.
//
// # Why River, and what outbox_event is for
//
// River (riverqueue/river) is the queue: its job is inserted in the
// order's own transaction, by the statement that writes the event
// (outbox.JobCTE writes the row River's client would), it hands each job
// to one worker with FOR UPDATE SKIP LOCKED, wakes workers by LISTEN/NOTIFY
// within milliseconds of the commit (polling each second as the fallback),
// and rescues the jobs of a worker that vanished. outbox_event stays the
// record of the event and of the ERP's answers (attempts, last status and
// answer, next attempt, delivered, dead): administrators read it, it
// outlives River's cleanup of finished jobs, and the ordering check reads
// it. River's own retry count only covers failures of Portal itself (the
// database gone while recording an answer); the ERP's answers are counted
// in outbox_event. River's tables are installed by Portal's migrations
// (migrations/20261129000031_river.go), so `portal migrate` covers them.
package dualwrite
