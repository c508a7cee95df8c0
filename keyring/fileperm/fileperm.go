// Package fileperm holds the ownership and permission rules sealfs applies
// to the files and directories it trusts (key files, the local store's
// root), with the messages that tell an operator how to fix a refusal.
//
// It is a leaf package with no cryptography, so that the lowest layers
// (keyring, remote) share one wording without depending on each other.
package fileperm

import (
	"fmt"
	"io/fs"
	"os"
)

// Rule is what a file or directory must satisfy to be trusted.
type Rule struct {
	// What names the kind of path in messages, e.g. "key file".
	What string
	// Forbidden holds the group and other permission bits the path must
	// not have: 0o077 (no access at all) or 0o022 (no write access).
	Forbidden fs.FileMode
	// Fix is the chmod mode argument the message suggests, e.g. "600".
	Fix string
}

// Check returns nil when perm has none of r.Forbidden and uid (the
// path's owner) is the process's effective user or root. Otherwise it
// returns an error wrapping sentinel that names path, what is wrong and
// the command that fixes it.
func (r Rule) Check(sentinel error, path string, perm fs.FileMode, uid uint32) error {
	if bad := perm.Perm() & r.Forbidden; bad != 0 {
		how := "accessible"
		if r.Forbidden&^0o022 == 0 {
			how = "writable"
		}
		return fmt.Errorf("%w: %s %s is %s by group or others (mode %04o); run: chmod %s %s",
			sentinel, r.What, path, how, perm.Perm(), r.Fix, path)
	}
	euid := os.Geteuid()
	if uid != 0 && int64(uid) != int64(euid) {
		return fmt.Errorf("%w: %s %s is owned by uid %d, not by this process's user (uid %d) or root; run: chown %d %s",
			sentinel, r.What, path, uid, euid, euid, path)
	}
	return nil
}
