package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"strings"

	portal "github.com/openportal/portal"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3"; a
// plain build reports the VCS revision instead.
var version = ""

const usage = `portal — a self-hosted B2B customer portal

Usage:
  portal serve [--addr 127.0.0.1:8080] [--data-dir DIR] [--demo]   run the web server
  portal worker                                                     deliver events to the ERP (serve does too)
  portal erp-sim [--addr 127.0.0.1:9090] [--portal-url URL]         a simulated ERP for demos and tests
  portal migrate [status]                                           apply migrations, or list them
  portal demo                                                       load demo data into an empty database
  portal admin create --email EMAIL                                 create an administrator
  portal version                                                    print the version

Every command takes --help. Settings come from flags or PORTAL_* environment
variables (see README.md); DATABASE_URL selects an external PostgreSQL,
otherwise Portal runs its own under the data directory.
`

// run is the whole program, with its environment passed in so tests can
// run it in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], getenv, stdout, stderr)
	case "worker":
		err = cmdWorker(ctx, args[1:], getenv, stdout, stderr)
	case "erp-sim":
		err = cmdERPSim(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		err = cmdMigrate(ctx, args[1:], getenv, stdout, stderr)
	case "demo":
		err = cmdDemo(ctx, args[1:], getenv, stdout, stderr)
	case "admin":
		err = cmdAdmin(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "portal", versionString())
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "portal: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintln(stderr, "portal:", describe(err))
		return 1
	}
}

// errUsage means the flags were wrong; the flag package already said how.
var errUsage = errors.New("usage")

// describe shows a Portal error by its message, anything else as it is.
func describe(err error) string {
	var pe *portal.Error
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}

func versionString() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "devel-" + rev
}

// newFlags makes a flag set for a subcommand that prints its usage to w.
func newFlags(name, synopsis string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintf(w, "Usage: %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, then fills the secret flags that args did not set
// from their environment variables (see secretFlag).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	fs.VisitAll(func(f *flag.Flag) {
		if s, ok := f.Value.(*envSecret); ok && !given[f.Name] {
			s.fromEnv()
		}
	})
	return nil
}

// envInt reads a count from the environment: 0 when unset, -1 when it is
// not a number, which the flag's check then refuses.
func envInt(v string) int {
	if strings.TrimSpace(v) == "" {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return -1
	}
	return n
}

func envBool(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}
