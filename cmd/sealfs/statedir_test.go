package main

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/sealfs/sealfs/integration/testenv"
)

// TestStateDirPermissions checks that a state dir writable by group or
// others, or owned by another user, is refused with the fix, and that a
// private one is accepted.
func TestStateDirPermissions(t *testing.T) {
	dir := t.TempDir()
	if err := checkStateDir(dir); err != nil {
		t.Fatalf("0700 state dir: %v", err)
	}
	for _, mode := range []os.FileMode{0o770, 0o777, 0o703} {
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		err := checkStateDir(dir)
		if !errors.Is(err, errInsecureStateDir) || !strings.Contains(err.Error(), "run: chmod go-w "+dir) {
			t.Errorf("%04o state dir: %v; want errInsecureStateDir with the fix", mode, err)
		}
	}
	testenv.Require(t, "root", os.Geteuid() == 0, "needed to give a directory to another user")
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	if err := checkStateDir(dir); !errors.Is(err, errInsecureStateDir) || !strings.Contains(err.Error(), "owned by uid 4242") {
		t.Errorf("state dir owned by uid 4242: %v", err)
	}
}
