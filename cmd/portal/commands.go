package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/openportal/portal/app"
	"github.com/openportal/portal/db"
)

func cmdMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlags("migrate", "portal migrate [flags] [status]", stderr)
	dbFlags(fs, &c, getenv)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 || (fs.NArg() == 1 && fs.Arg(0) != "status") {
		fs.Usage()
		return errUsage
	}
	logger, err := c.logger(stderr)
	if err != nil {
		return err
	}
	d, err := openDatabase(ctx, &c, logger)
	if err != nil {
		return err
	}
	defer d.Close()
	if fs.Arg(0) == "status" {
		ms, err := db.Status(ctx, d.DB)
		if err != nil {
			return err
		}
		for _, m := range ms {
			state := "pending"
			if m.Applied {
				state = "applied"
			}
			fmt.Fprintf(stdout, "%-8s %s\n", state, m.Name)
		}
		return nil
	}
	applied, err := db.Migrate(ctx, d.DB)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "Database is up to date.")
	}
	for _, name := range applied {
		fmt.Fprintln(stdout, "applied", name)
	}
	return nil
}

func cmdDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlags("demo", "portal demo [flags]   (loads demo data into an empty database)", stderr)
	dbFlags(fs, &c, getenv)
	if err := parse(fs, args); err != nil {
		return err
	}
	d, a, err := openMigrated(ctx, &c, stderr)
	if err != nil {
		return err
	}
	defer d.Close()
	defer a.Close()
	return loadDemo(ctx, a, stdout)
}

func cmdAdmin(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(stdout, "Usage: portal admin create --email EMAIL   (password from PORTAL_ADMIN_PASSWORD or prompted)")
			return nil
		}
		fmt.Fprintln(stderr, "Usage: portal admin create --email EMAIL   (password from PORTAL_ADMIN_PASSWORD or prompted)")
		return errUsage
	}
	var c config
	var email string
	fs := newFlags("admin create", "portal admin create --email EMAIL   (password from PORTAL_ADMIN_PASSWORD or prompted)", stderr)
	fs.StringVar(&email, "email", "", "the administrator's email, used to sign in")
	dbFlags(fs, &c, getenv)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if email == "" {
		fs.Usage()
		return errUsage
	}
	password := getenv("PORTAL_ADMIN_PASSWORD")
	if password == "" {
		var err error
		if password, err = promptPassword(stdin, stderr); err != nil {
			return err
		}
	}
	d, a, err := openMigrated(ctx, &c, stderr)
	if err != nil {
		return err
	}
	defer d.Close()
	defer a.Close()
	contact, err := a.Identity.CreateAdministrator(ctx, email, password)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Administrator %s created (contact %s).\n", contact.Email, contact.ID)
	return nil
}

// promptPassword asks twice without echo on a terminal, or reads one line
// from a pipe.
func promptPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password (at least 12 characters): ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "Repeat password: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(p1) != string(p2) {
			return "", errors.New("the passwords differ")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", errors.New("no password: set PORTAL_ADMIN_PASSWORD or type it when asked")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// openMigrated is what the one-shot commands (demo, admin create) start
// from: the database, migrated, and the app over it. Close the app, then
// the database.
func openMigrated(ctx context.Context, c *config, stderr io.Writer) (*database, *app.App, error) {
	logger, err := c.logger(stderr)
	if err != nil {
		return nil, nil, err
	}
	d, err := openDatabase(ctx, c, logger)
	if err != nil {
		return nil, nil, err
	}
	if _, err := db.Migrate(ctx, d.DB); err != nil {
		d.Close()
		return nil, nil, err
	}
	a, err := app.New(ctx, d.DB, app.Config{BaseURL: c.BaseURL, OneShot: true}, logger)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return d, a, nil
}
