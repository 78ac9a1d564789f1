// Package mailtest is a real SMTP server (emersion/go-smtp) for tests: it
// listens on a free port of 127.0.0.1 and keeps every message it receives,
// for the identity mailer in-process and for the portal binary alike.
package mailtest

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Mailbox is a running SMTP server, stopped when the test ends.
type Mailbox struct {
	// Addr is host:port.
	Addr string
	// Mail receives each message in order of arrival (16 buffered; a
	// sender waits when the test reads none).
	Mail chan Message
}

// Message is one mail as received.
type Message struct {
	From string
	To   []string
	Data string // headers and body, as sent
}

// New starts a Mailbox.
func New(t testing.TB) *Mailbox {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	box := &Mailbox{Addr: ln.Addr().String(), Mail: make(chan Message, 16)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{box: box}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return box
}

// URL is the PORTAL_SMTP_URL that sends to this mailbox.
func (b *Mailbox) URL() string { return "smtp://" + b.Addr + "?from=portal@contoso.example" }

// Next waits up to within for the next mail.
func (b *Mailbox) Next(t testing.TB, within time.Duration) Message {
	t.Helper()
	select {
	case m := <-b.Mail:
		return m
	case <-time.After(within):
		t.Fatalf("no mail within %v", within)
	}
	return Message{}
}

// None checks that no mail arrives for wait.
func (b *Mailbox) None(t testing.TB, wait time.Duration) {
	t.Helper()
	select {
	case m := <-b.Mail:
		t.Fatalf("unexpected mail to %v:\n%s", m.To, m.Data)
	case <-time.After(wait):
	}
}

type session struct {
	box  *Mailbox
	from string
	to   []string
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.box.Mail <- Message{From: s.from, To: s.to, Data: string(b)}
	return nil
}
