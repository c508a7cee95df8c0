package integration

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/sealfs/sealfs/integration/testenv"
)

// Paths the package owns that must not exist before the install test.
var packagePaths = []string{"/usr/bin/sealfs", "/sbin/mount.fuse.sealfs", "/lib/systemd/system/sealfs-orthanc.service", "/etc/logrotate.d/sealfs", "/etc/sealfs"}

// checkInstallRemove installs deb on this machine with dpkg -i, runs the
// installed binary and mount helper, then removes and purges the package
// and checks that a key the administrator put into /etc/sealfs survives.
// It runs only on a machine where sealfs is not installed, and leaves it
// so.
func checkInstallRemove(t *testing.T, deb, version string) {
	testenv.Require(t, "root", os.Geteuid() == 0, "dpkg -i needs root")
	_, err := exec.LookPath("dpkg")
	testenv.Require(t, "dpkg", err == nil, "it installs the package")
	clean := exec.Command("dpkg-query", "-W", "-f", "${Status}", "sealfs").Run() != nil
	for _, p := range packagePaths {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			clean = false
		}
	}
	testenv.Require(t, "a machine without sealfs installed", clean, "dpkg -i would replace an installed sealfs or files it owns")

	const key = "/etc/sealfs/operator-test.key"
	t.Cleanup(func() {
		_ = exec.Command("dpkg", "--purge", "sealfs").Run()
		_ = os.Remove(key)
		_ = os.Remove("/etc/sealfs") // only if empty: nothing else is ours
	})
	mustRun(t, "dpkg", "-i", deb)

	if out := mustRun(t, "/usr/bin/sealfs", "version"); !strings.HasPrefix(out, "sealfs "+version+" ") {
		t.Errorf("installed sealfs version: %q", out)
	}
	if target, err := os.Readlink("/sbin/mount.fuse.sealfs"); err != nil || target != "/usr/bin/sealfs" {
		t.Errorf("/sbin/mount.fuse.sealfs: %q, %v", target, err)
	}
	if fi, err := os.Stat("/etc/sealfs"); err != nil || fi.Mode().Perm() != 0o700 || !fi.IsDir() {
		t.Errorf("/etc/sealfs: %v, %v; want a directory of mode 0700", fi, err)
	}
	// mount -f (fake) through the installed helper: options checked, an
	// unknown one refused by name, nothing mounted.
	mustRun(t, "/sbin/mount.fuse.sealfs", "/srv/none-store", "/srv/none-mnt", "-f", "-o", "allow_other,_netdev,nofail,key_id=2")
	helper := exec.Command("/sbin/mount.fuse.sealfs", "/srv/none-store", "/srv/none-mnt", "-f", "-o", "bogus_option")
	if out, err := helper.CombinedOutput(); err == nil || !strings.Contains(string(out), "bogus_option") {
		t.Errorf("installed helper with an unknown option: %v: %s", err, out)
	}

	mustRun(t, "/usr/bin/sealfs", "keygen", "--id", "7", key)
	keyBefore, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, "dpkg", "-r", "sealfs")
	for _, p := range []string{"/usr/bin/sealfs", "/sbin/mount.fuse.sealfs", "/lib/systemd/system/sealfs-orthanc.service"} {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("dpkg -r left %s (%v)", p, err)
		}
	}
	if _, err := os.Stat("/etc/logrotate.d/sealfs"); err != nil {
		t.Errorf("dpkg -r removed the conffile /etc/logrotate.d/sealfs: %v", err)
	}
	mustRun(t, "dpkg", "--purge", "sealfs")
	if keyAfter, err := os.ReadFile(key); err != nil || !bytes.Equal(keyAfter, keyBefore) {
		t.Errorf("the administrator's key after dpkg -r and --purge: %v (changed: %v)", err, !bytes.Equal(keyAfter, keyBefore))
	}
}

// mustRun runs a command and fails the test with its output if it fails.
func mustRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
