package pgcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrNoBinaries is matched (errors.Is) by every error FindBinaries returns
// because initdb or postgres is missing, so callers such as a test harness
// can tell "PostgreSQL is not installed" apart from a cluster that failed.
var ErrNoBinaries = errors.New("PostgreSQL server binaries (initdb, postgres) not found")

// notFoundMsg is what a person sees when nothing is installed; it names the
// fix because the usual reader is someone starting Portal for the first time.
const notFoundMsg = "PostgreSQL server binaries (initdb, postgres) not found on PATH or in /usr/lib/postgresql/*/bin: install them (Debian/Ubuntu: apt-get install -y postgresql) or set DATABASE_URL to an existing PostgreSQL"

// binGlobs are searched after PATH. Debian and Ubuntu install the server
// under /usr/lib/postgresql/<major>/bin and put only client wrappers on PATH.
// A variable so tests can point it at an empty directory.
var binGlobs = []string{"/usr/lib/postgresql/*/bin"}

// notFoundError carries an actionable message while still matching
// ErrNoBinaries.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string        { return e.msg }
func (e *notFoundError) Is(target error) bool { return target == ErrNoBinaries }

// FindBinaries returns the directory holding initdb and postgres.
//
// A non-empty hint (Options.BinDir) is taken at its word: if it lacks the
// binaries that is an error rather than a silent fall back to some other
// installation, which could be a different major version than the one the
// data directory was made with. With no hint it looks on PATH, then in
// /usr/lib/postgresql/*/bin, taking the highest major version there.
func FindBinaries(hint string) (dir string, err error) {
	if hint != "" {
		if hasBinaries(hint) {
			return filepath.Abs(hint)
		}
		return "", &notFoundError{fmt.Sprintf(
			"PostgreSQL server binaries (initdb, postgres) not found in %s (BinDir): point BinDir at the directory that has them (e.g. /usr/lib/postgresql/15/bin), leave it empty to search PATH and /usr/lib/postgresql/*/bin, or set DATABASE_URL to an existing PostgreSQL", hint)}
	}

	if p, err := exec.LookPath("initdb"); err == nil {
		// /usr/local/bin/initdb is often a symlink into the real bin dir;
		// prefer that dir, where postgres, pg_ctl and friends sit together.
		if real, err := filepath.EvalSymlinks(p); err == nil && hasBinaries(filepath.Dir(real)) {
			return filepath.Abs(filepath.Dir(real))
		}
		if hasBinaries(filepath.Dir(p)) {
			return filepath.Abs(filepath.Dir(p))
		}
	}

	best, bestVer := "", []int(nil)
	for _, g := range binGlobs {
		matches, _ := filepath.Glob(g)
		for _, m := range matches {
			if !hasBinaries(m) {
				continue
			}
			// <root>/<version>/bin: the version is the parent's name.
			v := parseVersion(filepath.Base(filepath.Dir(m)))
			if best == "" || versionLess(bestVer, v) {
				best, bestVer = m, v
			}
		}
	}
	if best != "" {
		return best, nil
	}
	return "", &notFoundError{notFoundMsg}
}

func hasBinaries(dir string) bool {
	return isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres"))
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// parseVersion turns "9.6" or "15" into comparable numbers; anything
// unparsable sorts lowest.
func parseVersion(s string) []int {
	var v []int
	for _, part := range strings.Split(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil
		}
		v = append(v, n)
	}
	return v
}

func versionLess(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}
