package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// errInsecure marks a file or directory whose permissions let other users
// read secrets or plant files; the message says how to fix it.
var errInsecure = errors.New("permissions are too open")

// checkPrivateFile applies the key files' rules (ssh's) to a file that
// holds secrets: not accessible by group or others, and owned by this
// process's user or root. why says what makes the file secret.
func checkPrivateFile(path string, info os.FileInfo, what, why string) error {
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w: %s %s is accessible by group or others (mode %04o) and %s; run: chmod 600 %s",
			errInsecure, what, path, perm, why, path)
	}
	return checkOwner(path, info, what)
}

// checkStateDir refuses a state dir that group or others can write to (they
// could plant staged files, replace the pinned volume id or the logs) or
// that belongs to another user.
func checkStateDir(dir string) error {
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("state dir %s is not a directory", dir)
	}
	if perm := info.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("%w: state dir %s is writable by group or others (mode %04o); run: chmod 700 %s",
			errInsecure, dir, perm, dir)
	}
	return checkOwner(dir, info, "state dir")
}

// checkOwner fails unless info belongs to this process's user or root.
func checkOwner(path string, info os.FileInfo, what string) error {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%s %s: cannot read its owner", what, path)
	}
	euid := os.Geteuid()
	if st.Uid != 0 && int64(st.Uid) != int64(euid) {
		return fmt.Errorf("%w: %s %s is owned by uid %d, not by this process's user (uid %d) or root; run: chown %d %s",
			errInsecure, what, path, st.Uid, euid, euid, path)
	}
	return nil
}

// errStateDirBusy marks a state dir that another sealfs process holds.
var errStateDirBusy = errors.New("state dir in use")

// lockStateDir takes an exclusive lock on dir/lock for as long as the
// returned file stays open (the process's life), so that two daemons never
// share staging files, the journal and the metadata cache, even when they
// mount different mount points.
func lockStateDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state dir lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: another sealfs (pid %s) uses the state dir %s; unmount it first, or give this mount its own --state-dir",
				errStateDirBusy, strings.TrimSpace(string(holder)), dir)
		}
		return nil, fmt.Errorf("state dir lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0) // informative only
	}
	return f, nil
}
