package pgcluster

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// checkParents makes sure nobody but root and this process's user can
// change what the path dir leads to, so that what Portal creates, chowns
// and chmods under it (as root: hands to the postgres account) is what it
// means to. It resolves dir one component at a time, as the kernel does,
// and requires of every directory it passes through, from / down:
//
//   - its owner is root or this process's user, and
//   - no other user may write to it: neither world-writable nor writable
//     by a group other than root's or ours, unless the sticky bit is set
//     (as on /tmp), where others can add entries but cannot rename or
//     remove ours; the next component is then checked in turn, so an entry
//     another user made there is refused;
//
// and of every symbolic link on the way that root or this user owns it.
// Components that do not exist yet are fine: Portal creates them itself
// (0755, owned by it) in a directory that passed.
//
// Group and world permissions only are read; ACLs are not.
func checkParents(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	todo := strings.Split(strings.TrimPrefix(abs, "/"), "/")
	cur := "/"
	if err := checkDir(cur, dir); err != nil {
		return err
	}
	for links := 0; len(todo) > 0; {
		name := todo[0]
		todo = todo[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur) // cur has no links in it: this is its real parent
			continue
		}
		next := filepath.Join(cur, name)
		fi, err := os.Lstat(next)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if !trustedOwner(fi) {
				return fmt.Errorf("pgcluster: the path to data directory %s goes through the link %s, which belongs to uid %d, not to root or this process's user: another user could point it elsewhere; use a path without it",
					dir, next, owner(fi))
			}
			if links++; links > 40 {
				return fmt.Errorf("pgcluster: too many links resolving %s", dir)
			}
			target, err := os.Readlink(next)
			if err != nil {
				return fmt.Errorf("pgcluster: %w", err)
			}
			if filepath.IsAbs(target) {
				cur = "/"
			}
			todo = append(strings.Split(target, "/"), todo...)
			continue
		}
		if !fi.IsDir() {
			return fmt.Errorf("pgcluster: %s, on the path to data directory %s, is not a directory", next, dir)
		}
		if err := checkDir(next, dir); err != nil {
			return err
		}
		cur = next
	}
	return nil
}

// checkDir applies checkParents' rule to one directory on the way to dir.
func checkDir(path, dir string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil // not a Unix file system: nothing to judge by
	}
	if !trustedOwner(fi) {
		return fmt.Errorf("pgcluster: directory %s, above data directory %s, belongs to uid %d, not to root or this process's user, so that user could swap what is in it: put the data directory under a directory owned by root or by uid %d (e.g. /var/lib/portal)",
			path, dir, st.Uid, os.Geteuid())
	}
	perm := fi.Mode()
	if perm&fs.ModeSticky != 0 {
		return nil
	}
	if perm.Perm()&0o002 != 0 || (perm.Perm()&0o020 != 0 && st.Gid != 0 && int(st.Gid) != os.Getegid()) {
		return fmt.Errorf("pgcluster: directory %s, above data directory %s, may be written by other users (mode %04o, group %d), who could swap what is in it: put the data directory elsewhere (e.g. under /var/lib/portal), or remove their write access with: chmod go-w %s",
			path, dir, perm.Perm(), st.Gid, path)
	}
	return nil
}

func owner(fi fs.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}

func trustedOwner(fi fs.FileInfo) bool {
	o := owner(fi)
	return o == -1 || o == 0 || o == os.Geteuid()
}
