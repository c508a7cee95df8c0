package integration

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealfs/sealfs/integration/testenv"
)

// installMountHelper links /sbin/mount.fuse.sealfs to the sealfs binary
// under test, as the package does, for the test's duration.
func installMountHelper(t *testing.T) {
	t.Helper()
	testenv.Require(t, "root", os.Geteuid() == 0, "installing /sbin/mount.fuse.sealfs needs root")
	const helper = "/sbin/mount.fuse.sealfs"
	if _, err := os.Lstat(helper); err == nil {
		t.Fatalf("%s exists already: remove it (a test links it to the binary under test)", helper)
	}
	if err := os.Symlink(testenv.SealfsBinary(t), helper); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(helper) })
}

// run runs a command and returns its combined output.
func run(t *testing.T, env []string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// checkServesAndUnmount writes and reads a file through the mount at mnt,
// then unmounts it with umount(8) and checks that it is gone.
func checkServesAndUnmount(t *testing.T, how, mnt string) {
	t.Helper()
	waitMounted(t, mnt)
	data := []byte("mounted by " + how)
	if err := os.WriteFile(filepath.Join(mnt, "f"), data, 0o600); err != nil {
		t.Fatalf("%s: write: %v", how, err)
	}
	if got, err := os.ReadFile(filepath.Join(mnt, "f")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("%s: read back %q, %v", how, got, err)
	}
	if out, err := run(t, nil, "umount", mnt); err != nil {
		t.Fatalf("%s: umount: %v\n%s", how, err, out)
	}
	if n := mountCount(t, mnt); n != 0 {
		t.Fatalf("%s: %d mounts left at %s after umount", how, n, mnt)
	}
}

// fstab, mount -T, mount -a -T, mount -t fuse.sealfs, mount -t fuse with
// "sealfs#STORE" and umount, all through the real mount(8); a wrong option
// and a missing key fail, naming them.
func TestMountHelper(t *testing.T) {
	requireFUSE(t)
	_, err := exec.LookPath("mount")
	testenv.Require(t, "mount (util-linux)", err == nil, "mount(8) runs the helper")
	installMountHelper(t)
	f := newMountFixture(t)
	opts := "key=" + f.key + ",state_dir=" + f.state
	fstab := filepath.Join(f.dir, "fstab")
	line := func(options string) string {
		return f.store + " " + f.mnt + " fuse.sealfs " + options + " 0 0\n"
	}
	if err := os.WriteFile(fstab, []byte(line(opts+",allow_other,_netdev,nofail,noauto,x-systemd.requires=local-fs.target")), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, nil, "mount", "-T", fstab, f.mnt); err != nil {
		t.Fatalf("mount -T fstab: %v\n%s", err, out)
	}
	checkServesAndUnmount(t, "mount -T", f.mnt)

	auto := filepath.Join(f.dir, "fstab-auto")
	if err := os.WriteFile(auto, []byte(line(opts+",_netdev,nofail")), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, nil, "mount", "-a", "-T", auto); err != nil {
		t.Fatalf("mount -a -T fstab: %v\n%s", err, out)
	}
	checkServesAndUnmount(t, "mount -a -T", f.mnt)

	if out, err := run(t, nil, "mount", "-t", "fuse.sealfs", f.store, f.mnt, "-o", opts); err != nil {
		t.Fatalf("mount -t fuse.sealfs: %v\n%s", err, out)
	}
	checkServesAndUnmount(t, "mount -t fuse.sealfs", f.mnt)

	// fuse3's mount.fuse runs "sealfs STORE MOUNTPOINT -o OPTIONS", found
	// on mount(8)'s own PATH (it ignores the caller's).
	const onPath = "/usr/local/bin/sealfs"
	if _, err := os.Lstat(onPath); err == nil {
		t.Logf("%s exists: mount -t fuse sealfs#STORE not checked (it would run that binary)", onPath)
	} else {
		if err := os.Symlink(testenv.SealfsBinary(t), onPath); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(onPath) })
		if out, err := run(t, nil, "mount", "-t", "fuse", "sealfs#"+f.store, f.mnt, "-o", opts); err != nil {
			t.Fatalf("mount -t fuse sealfs#STORE: %v\n%s", err, out)
		}
		checkServesAndUnmount(t, "mount -t fuse", f.mnt)
	}

	for _, c := range []struct{ options, names string }{
		{opts + ",bogus_opt", "bogus_opt"},
		{"key=" + filepath.Join(f.dir, "no-such-key") + ",state_dir=" + f.state, "no-such-key"},
	} {
		out, err := run(t, nil, "mount", "-t", "fuse.sealfs", f.store, f.mnt, "-o", c.options)
		if err == nil {
			run(t, nil, "umount", f.mnt)
			t.Errorf("mount -o %s succeeded", c.options)
			continue
		}
		if !strings.Contains(out, c.names) {
			t.Errorf("mount -o %s failed without naming %s:\n%s", c.options, c.names, out)
		}
		if n := mountCount(t, f.mnt); n != 0 {
			t.Errorf("mount -o %s left %d mounts", c.options, n)
		}
	}
}
