// Command benchdata loads the benchmark data set into a migrated, empty
// database and signs the bench users in, for bench/run.sh:
//
//	benchdata load   -database-url URL -orders 1000000 -users 200
//	benchdata signin -database-url URL -portal http://127.0.0.1:8080 -out DIR
//
// signin writes DIR/authorized_user.tokens and
// DIR/customer_representative.tokens (one session token per line),
// DIR/users.tsv (token, contact id, account id: for the PostGraphile side)
// and DIR/products (product ids, for the order-entry scenario).
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"

	"github.com/uptrace/bun"

	"github.com/openportal/portal/bench"
	"github.com/openportal/portal/db"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchdata:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: benchdata load|signin [flags]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	url := fs.String("database-url", os.Getenv("DATABASE_URL"), "the bench database")
	orders := fs.Int("orders", 1000000, "submitted orders to load (3 lines each)")
	users := fs.Int("users", 200, "bench users per role")
	portal := fs.String("portal", "http://127.0.0.1:8080", "Portal's address, for signin")
	out := fs.String("out", ".", "directory for the token files (signin)")
	apiAll := fs.Bool("api-all", false, "sign every bench user in through the API (slow: argon2id per user)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	d, err := db.Open(ctx, *url)
	if err != nil {
		return err
	}
	defer d.Close()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	switch args[0] {
	case "load":
		s := bench.ScaleFor(*orders, *users)
		log.Info("loading bench data", "orders", s.Orders, "contacts", s.Contacts, "accounts", s.Accounts, "products", s.Products)
		return bench.Load(ctx, d, s, log.Info)
	case "signin":
		var us []struct {
			Role, Email, ContactID, AccountID string
		}
		if err := d.NewRaw("SELECT role, email, contact_id, account_id FROM bench_user ORDER BY n").Scan(ctx, &us); err != nil {
			return err
		}
		// Every sign-in verifies an argon2id hash (64 MiB, 3 passes): 400
		// of them take minutes on a busy two-core machine. The first user
		// of each role signs in through the API, which proves the bench
		// passwords and sign-in work; the others' sessions are written
		// as sign-in writes them (token hash, expiry) unless -api-all.
		tokens := make([]string, len(us))
		errs := make([]error, len(us))
		var wg sync.WaitGroup
		sem := make(chan struct{}, 4)
		seen := map[string]bool{}
		for i := range us {
			if !*apiAll && seen[us[i].Role] {
				tokens[i], errs[i] = directSession(ctx, d, us[i].ContactID)
				continue
			}
			seen[us[i].Role] = true
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				tokens[i], errs[i] = signIn(ctx, *portal, us[i].Email)
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		files := map[string]*strings.Builder{}
		var tsv strings.Builder
		for i, u := range us {
			if files[u.Role] == nil {
				files[u.Role] = &strings.Builder{}
			}
			fmt.Fprintln(files[u.Role], tokens[i])
			fmt.Fprintf(&tsv, "%s\t%s\t%s\t%s\n", tokens[i], u.Role, u.ContactID, u.AccountID)
		}
		for role, b := range files {
			if err := os.WriteFile(filepath.Join(*out, role+".tokens"), []byte(b.String()), 0o600); err != nil {
				return err
			}
		}
		if err := os.WriteFile(filepath.Join(*out, "users.tsv"), []byte(tsv.String()), 0o600); err != nil {
			return err
		}
		var products []string
		if err := d.NewRaw("SELECT id::text FROM product ORDER BY number LIMIT 100").Scan(ctx, &products); err != nil {
			return err
		}
		log.Info("signed in", "users", len(us))
		return os.WriteFile(filepath.Join(*out, "products"), []byte(strings.Join(products, "\n")+"\n"), 0o600)
	}
	return fmt.Errorf("unknown command %q: use load or signin", args[0])
}

// directSession stores a session for a contact as sign-in does and returns
// its token.
func directSession(ctx context.Context, d *bun.DB, contactID string) (string, error) {
	b := make([]byte, 32)
	rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	h := sha256.Sum256([]byte(token))
	_, err := d.ExecContext(ctx, `INSERT INTO session (token_hash, contact_id, expires_at, user_agent)
		VALUES (?, ?, now() + interval '7 days', 'benchdata')`, h[:], contactID)
	return token, err
}

func signIn(ctx context.Context, portal, email string) (string, error) {
	body, _ := json.Marshal(map[string]any{
		"query":     "mutation($i: SignInInput!) { signIn(input: $i) { token } }",
		"variables": map[string]any{"i": map[string]any{"email": email, "password": bench.Password}},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, portal+"/graphql", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			SignIn struct{ Token string }
		}
		Errors []struct{ Message string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return "", fmt.Errorf("sign in %s: %w", email, err)
	}
	if len(r.Errors) > 0 || r.Data.SignIn.Token == "" {
		return "", fmt.Errorf("sign in %s: %v", email, r.Errors)
	}
	return r.Data.SignIn.Token, nil
}
