package db

import (
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// Strings reads NOT NULL text and uuid columns whose values repeat across
// the rows of one read (a page's account, contact, currency, status, the
// order and product ids of its lines…) into one string per distinct value,
// where rows.Scan into a *string allocates a string for every row: on a
// page of 20 orders and 60 lines about 550 of the request's allocations.
// Make one per read (db.Query call) and call Row at the start of each
// row's scan; it is not safe for concurrent use.
type Strings struct {
	texts map[string]string
	uuids map[[16]byte]string
	dests []stringDest
	n     int
}

// NewStrings returns an empty Strings for one read.
func NewStrings() *Strings {
	return &Strings{texts: map[string]string{}, uuids: map[[16]byte]string{}}
}

// Row starts a row: the scan targets String handed out for the previous
// row are used again.
func (s *Strings) Row() { s.n = 0 }

// String returns a rows.Scan target that sets *dst to a NOT NULL text,
// varchar, char(n) or uuid column (uuids in their usual lowercase form).
func (s *Strings) String(dst *string) any {
	if s.n == len(s.dests) {
		// Grows during the first row only. A target handed out before
		// the slice moved keeps working: it holds s and its dst itself.
		s.dests = append(s.dests, stringDest{})
	}
	d := &s.dests[s.n]
	s.n++
	d.s, d.dst = s, dst
	return d
}

// stringDest is one column's target: pgx's BytesScanner for text types
// (the bytes as received, looked up without a copy) and UUIDScanner for
// uuid (the 16 bytes, formatted once per distinct value).
type stringDest struct {
	s   *Strings
	dst *string
}

func (d *stringDest) ScanBytes(b []byte) error {
	if b == nil {
		return errors.New("cannot scan NULL into a string")
	}
	*d.dst = d.s.text(b)
	return nil
}

func (d *stringDest) ScanUUID(u pgtype.UUID) error {
	if !u.Valid {
		return errors.New("cannot scan NULL into a string")
	}
	*d.dst = d.s.uuid(u.Bytes)
	return nil
}

// text is the read's string for the text b (looked up without a copy).
func (s *Strings) text(b []byte) string {
	v, ok := s.texts[string(b)]
	if !ok {
		v = string(b)
		s.texts[v] = v
	}
	return v
}

// uuid is the read's string for the uuid u, formatted once.
func (s *Strings) uuid(u [16]byte) string {
	v, ok := s.uuids[u]
	if !ok {
		v = uuid.UUID(u).String()
		s.uuids[u] = v
	}
	return v
}
