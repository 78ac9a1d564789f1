package pgcluster

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
)

// account is the OS user initdb and postgres run as. Its name doubles as the
// cluster's superuser, so that it matches the OS user the way libpq tools
// expect by default.
type account struct {
	name   string
	uid    int
	gid    int
	groups []int               // every group of the user, for permission checks
	cred   *syscall.Credential // nil: run as this process's own user
}

// lookupAccount picks who runs PostgreSQL. PostgreSQL refuses to run as
// root (initdb and postgres both exit with "cannot be run as root"), and
// Portal in a container commonly is root, so then we drop to the "postgres"
// system user that the distribution's postgresql package creates.
func lookupAccount() (*account, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			// initdb needs a passwd entry too, so say so now rather than
			// relay its less direct message.
			return nil, fmt.Errorf("pgcluster: cannot look up the current user (uid %d), which PostgreSQL needs: give it an /etc/passwd entry or set DATABASE_URL: %w", os.Geteuid(), err)
		}
		return &account{name: u.Username, uid: os.Geteuid(), gid: os.Getegid()}, nil
	}

	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf(`pgcluster: this process runs as root, which PostgreSQL refuses, so the cluster must run as the "postgres" system user, and there is none: create it (installing the Debian/Ubuntu postgresql package does; or useradd --system --home /var/lib/postgresql postgres), run Portal as a normal user, or set DATABASE_URL to an existing PostgreSQL: %w`, err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("pgcluster: user postgres has a non-numeric uid %q or gid %q", u.Uid, u.Gid)
	}
	a := &account{name: u.Username, uid: uid, gid: gid, groups: []int{gid}}
	// Supplementary groups are best effort: without them the process runs
	// with only its primary group, which is all PostgreSQL needs.
	var supp []uint32
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if g, err := strconv.Atoi(s); err == nil && g != gid {
				a.groups = append(a.groups, g)
				supp = append(supp, uint32(g))
			}
		}
	}
	// Groups is set explicitly (possibly empty) so the child does not keep
	// root's supplementary groups.
	a.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: supp}
	return a, nil
}

// checkReachable reports whether a can search (traverse) every directory
// above path. Only needed when we are root: the directories were made or
// chosen by root, and a data dir under /root/ or under a 0700 temp dir is
// invisible to the postgres user, which would otherwise surface as a bare
// "Permission denied" from initdb. Checked by mode bits; ACLs are ignored.
func checkReachable(path string, a *account) error {
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
		if !canSearch(fi, a) {
			return fmt.Errorf(`pgcluster: %s cannot be reached by the %q user that PostgreSQL runs as (this process is root, which PostgreSQL refuses): directory %s (mode %04o, owner uid %d) is not traversable by it; put the data directory elsewhere (e.g. under /var/lib/portal), or allow traversal with: chmod o+x %s`,
				path, a.name, dir, fi.Mode().Perm(), fi.Sys().(*syscall.Stat_t).Uid, dir)
		}
		if dir == filepath.Dir(dir) {
			return nil
		}
	}
}

func canSearch(fi fs.FileInfo, a *account) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true // cannot tell; let PostgreSQL report it
	}
	perm := fi.Mode().Perm()
	switch {
	case int(st.Uid) == a.uid:
		return perm&0o100 != 0
	case slices.Contains(a.groups, int(st.Gid)):
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}
