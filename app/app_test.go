package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openportal/portal/app"
	"github.com/openportal/portal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// One App is the whole product over a database: a contact created through
// its identity service signs in through its server, and the GraphQL API
// sees that viewer.
func TestNew(t *testing.T) {
	ctx := context.Background()
	a, err := app.New(ctx, dbtest.New(t), app.Config{BaseURL: "https://portal.example"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Identity.CreateAdministrator(ctx, "root@example.com", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()

	post := func(token, query string) string {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": query})
		req, _ := http.NewRequest("POST", srv.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out bytes.Buffer
		out.ReadFrom(res.Body)
		return out.String()
	}
	var signIn struct {
		Data struct{ SignIn struct{ Token string } }
	}
	raw := post("", `mutation { signIn(input: {email: "root@example.com", password: "correct horse battery"}) { token } }`)
	if err := json.Unmarshal([]byte(raw), &signIn); err != nil || signIn.Data.SignIn.Token == "" {
		t.Fatalf("signIn = %s", raw)
	}
	if got := post(signIn.Data.SignIn.Token, `{ viewer { isAdministrator } }`); !strings.Contains(got, `"isAdministrator":true`) {
		t.Errorf("viewer with the token = %s", got)
	}
	if got := post("", `{ viewer { isAdministrator } }`); strings.Contains(got, `"isAdministrator":true`) {
		t.Errorf("anonymous viewer = %s", got)
	}
	if err := a.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// A configuration New cannot use is refused with what to fix, and what New
// had started is stopped again.
func TestNewRefusesBadSMTPURL(t *testing.T) {
	_, err := app.New(context.Background(), dbtest.New(t), app.Config{SMTPURL: "http://mail.example"}, nil)
	if err == nil || !strings.Contains(err.Error(), "smtp://") {
		t.Fatalf("err = %v, want one saying what an SMTP URL looks like", err)
	}
}
