package graph_test

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/openportal/portal/identity"
)

// fakeSMTP is the least of an SMTP server that net/smtp will talk to; it
// hands each message it receives to msgs.
func fakeSMTP(t *testing.T) (addr string, msgs chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	msgs = make(chan string, 4)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func(conn net.Conn) {
				defer conn.Close()
				r := bufio.NewReader(conn)
				say := func(s string) { conn.Write([]byte(s + "\r\n")) }
				say("220 fake ESMTP")
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					cmd := strings.ToUpper(strings.TrimSpace(line))
					switch {
					case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
						say("250 fake")
					case strings.HasPrefix(cmd, "DATA"):
						say("354 go on")
						var msg strings.Builder
						for {
							l, err := r.ReadString('\n')
							if err != nil || l == ".\r\n" {
								break
							}
							msg.WriteString(l)
						}
						msgs <- msg.String()
						say("250 queued")
					case strings.HasPrefix(cmd, "QUIT"):
						say("221 bye")
						return
					default:
						say("250 ok")
					}
				}
			}(conn)
		}
	}()
	return ln.Addr().String(), msgs
}

func TestInvitationIsMailed(t *testing.T) {
	addr, msgs := fakeSMTP(t)
	mailer, err := identity.NewSMTPMailer("smtp://" + addr + "?from=portal@contoso.example")
	if err != nil {
		t.Fatal(err)
	}
	s := newSite(t, mailer)
	admin := s.admin()
	identityFixture(admin)
	_, code := s.invite(admin, "frank@forest.example")
	select {
	case msg := <-msgs:
		for _, want := range []string{"To: frank@forest.example", "From: portal@contoso.example",
			"https://portal.example/sign-up?code=" + code, "Hello Alice"} {
			if !strings.Contains(msg, want) {
				t.Errorf("mail lacks %q:\n%s", want, msg)
			}
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no mail within 10s")
	}
	if strings.Contains(s.logs.String(), code) {
		t.Error("the code reached the log")
	}
	if !strings.Contains(s.logs.String(), "invitation mailed") {
		t.Errorf("log does not say the invitation was mailed:\n%s", s.logs.String())
	}
}

func TestSMTPURL(t *testing.T) {
	for _, bad := range []string{"http://mail.example", "smtp://", "::"} {
		if _, err := identity.NewSMTPMailer(bad); err == nil {
			t.Errorf("NewSMTPMailer(%q) accepted", bad)
		}
	}
	if _, err := identity.NewSMTPMailer("smtp://user:secret@mail.example:587?from=a@b.example"); err != nil {
		t.Error(err)
	}
	_, err := identity.NewSMTPMailer("smtps://user:secret@mail.example")
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("error for a bad URL leaks the password or is missing: %v", err)
	}
}
