package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/sealfs/sealfs/keyring/fileperm"
)

// errInsecureStateDir means the state dir is writable by group or others,
// or owned by another user than sealfs's (root excepted): whoever can
// write there can swap the journal, the staging files or the audit log.
var errInsecureStateDir = errors.New("state dir permissions are too open")

// checkStateDir applies the store root's rule to the state dir dir, which
// exists: no write access for group or others, owned by this user or
// root. A symbolic link naming dir is followed, as for the store root.
func checkStateDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("state dir %s: cannot read its owner", dir)
	}
	rule := fileperm.Rule{What: "state dir", Forbidden: 0o022, Fix: "go-w"}
	return rule.Check(errInsecureStateDir, dir, fi.Mode(), st.Uid)
}
