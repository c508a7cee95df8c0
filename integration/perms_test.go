package integration

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sealfs/sealfs/integration/testenv"
)

// mountOptions returns the per-mount and per-superblock options of the
// mount at mnt, from /proc/self/mountinfo.
func mountOptions(t *testing.T, mnt string) string {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	found := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 9 && fields[4] == mnt {
			found = fields[5] + " " + fields[len(fields)-1] // the topmost one is listed last
		}
	}
	if found == "" {
		t.Fatalf("%s is not in mountinfo", mnt)
	}
	return found
}

// Permissions never widen: files and directories created 0600/0700 by an
// unprivileged user (umask 077) stay closed to another uid after a
// remount with the same state dir and with an empty one, on a mount with
// allow_other where the kernel enforces modes (default_permissions).
func TestPermissionsSurviveRemount(t *testing.T) {
	requireFUSE(t)
	testenv.Require(t, "root", os.Geteuid() == 0, "running as other users needs root")
	setpriv, err := exec.LookPath("setpriv")
	testenv.Require(t, "setpriv (util-linux)", err == nil, "runs commands as uids 65534 and 65533")
	home, err := os.MkdirTemp("/var/tmp", "sealfs-perms-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(home)
	os.Chmod(home, 0o755)
	key, store, mnt := filepath.Join(home, "k"), filepath.Join(home, "store"), filepath.Join(home, "mnt")
	os.Mkdir(store, 0o700)
	os.Mkdir(mnt, 0o755)
	if out, err := sealfs(t, nil, "keygen", key); err != nil {
		t.Fatal(err, out)
	}
	const owner, other = 65534, 65533
	as := func(uid int, script string) (string, error) {
		id := strconv.Itoa(uid)
		cmd := exec.Command(setpriv, "--reuid="+id, "--regid="+id, "--clear-groups", "--", "/bin/sh", "-c", script)
		cmd.Dir = "/"
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	mount := func(state string, extra ...string) {
		t.Helper()
		args := append([]string{"mount", "--key", key, "--state-dir", state, "--allow-other", "--uid", strconv.Itoa(owner), "--gid", strconv.Itoa(owner)}, extra...)
		if out, err := sealfs(t, nil, append(args, store, mnt)...); err != nil {
			t.Fatalf("mount %v: %v\n%s", extra, err, out)
		}
		waitMounted(t, mnt)
		opts := mountOptions(t, mnt)
		if !strings.Contains(opts, "default_permissions") || !strings.Contains(opts, "allow_other") {
			t.Fatalf("mount options %q: want default_permissions and allow_other", opts)
		}
	}
	unmount := func() {
		t.Helper()
		if err := testenv.Unmount(mnt); err != nil {
			t.Fatal(err)
		}
	}
	denied := func(stage string, paths ...string) {
		t.Helper()
		for _, p := range paths {
			if out, err := as(other, "if [ -d "+p+" ]; then ls "+p+"; else cat "+p+"; fi"); err == nil || !strings.Contains(out, "Permission denied") {
				t.Errorf("%s: uid %d reads %s: err=%v\n%s", stage, other, p, err, out)
			}
		}
		if out, err := as(owner, "cat "+filepath.Join(mnt, "d/f")); err != nil || strings.TrimSpace(out) != "phi in d" {
			t.Errorf("%s: the owner cannot read d/f: %v %q", stage, err, out)
		}
	}
	perms := func(stage string, want map[string]os.FileMode) {
		t.Helper()
		for name, mode := range want {
			st, err := os.Stat(filepath.Join(mnt, name))
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != mode {
				t.Errorf("%s: %s has mode %v, want %v", stage, name, st.Mode().Perm(), mode)
			}
		}
	}
	files := []string{filepath.Join(mnt, "top"), filepath.Join(mnt, "d"), filepath.Join(mnt, "d/f")}

	state := filepath.Join(home, "state")
	mount(state)
	script := "umask 077 && mkdir " + filepath.Join(mnt, "d") + " && echo 'phi in d' > " + filepath.Join(mnt, "d/f") + " && echo phi > " + filepath.Join(mnt, "top")
	if out, err := as(owner, script); err != nil {
		t.Fatalf("uid %d creates files: %v\n%s", owner, err, out)
	}
	perms("created", map[string]os.FileMode{"top": 0o600, "d": 0o700, "d/f": 0o600, ".": 0o750})
	denied("created", files...)

	unmount()
	mount(state)
	perms("remounted", map[string]os.FileMode{"top": 0o640, "d": 0o750, "d/f": 0o640, ".": 0o750})
	denied("remounted", files...)

	// An empty state dir, and directories anyone may traverse: the files'
	// own default mode, capped by the umask, still keeps uid 65533 out.
	unmount()
	mount(filepath.Join(home, "state-empty"), "--dir-mode", "0711", "--file-mode", "0644", "--umask", "066")
	perms("remounted with an empty state dir", map[string]os.FileMode{"top": 0o600, "d": 0o711, "d/f": 0o600, ".": 0o711})
	denied("remounted with an empty state dir", files...)
	if out, err := as(other, "ls "+filepath.Join(mnt, "d")); err == nil || !strings.Contains(out, "Permission denied") {
		t.Errorf("uid %d lists d (0711): %v\n%s", other, err, out)
	}
	if out, err := as(owner, "chmod 0644 "+filepath.Join(mnt, "top")+" && cat "+filepath.Join(mnt, "top")); err != nil {
		t.Errorf("owner chmod: %v\n%s", err, out)
	}
	perms("chmod 0644 under umask 066", map[string]os.FileMode{"top": 0o600})
	denied("chmod 0644 under umask 066", filepath.Join(mnt, "top"))
	unmount()
}

// A key that is not the one the volume recorded for its id stops the
// mount, with a message naming the id; the right key mounts again.
func TestWrongKeyRefusedAtMount(t *testing.T) {
	requireFUSE(t)
	dir := t.TempDir()
	right, wrong, store, state, mnt := filepath.Join(dir, "right"), filepath.Join(dir, "wrong"), filepath.Join(dir, "store"), filepath.Join(dir, "state"), filepath.Join(dir, "mnt")
	os.Mkdir(store, 0o700)
	os.Mkdir(mnt, 0o755)
	for _, k := range []string{right, wrong} {
		if out, err := sealfs(t, nil, "keygen", k); err != nil {
			t.Fatal(err, out)
		}
	}
	mountWith := func(key string) (string, error) {
		return sealfs(t, nil, "mount", "--key", key, "--key-id", "7", "--state-dir", state, store, mnt)
	}
	if out, err := mountWith(right); err != nil {
		t.Fatalf("first mount: %v\n%s", err, out)
	}
	waitMounted(t, mnt)
	if err := os.WriteFile(filepath.Join(mnt, "f"), []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := testenv.Unmount(mnt); err != nil {
		t.Fatal(err)
	}
	out, err := mountWith(wrong)
	if err == nil {
		testenv.Unmount(mnt)
		t.Fatalf("mounted with the wrong key under id 7:\n%s", out)
	}
	if !strings.Contains(out, "key id 7") || !strings.Contains(out, "key check value") {
		t.Errorf("error does not name key id 7 and the check value:\n%s", out)
	}
	if ok, _ := testenv.Mounted(mnt, "fuse.sealfs"); ok {
		testenv.Unmount(mnt)
		t.Fatal("mounted despite the error")
	}
	audit, _ := os.ReadFile(filepath.Join(state, "audit.log"))
	if !strings.Contains(string(audit), "key-check-failed") {
		t.Errorf("the refusal is not in the audit log:\n%s", audit)
	}
	if out, err := mountWith(right); err != nil {
		t.Fatalf("mount with the right key again: %v\n%s", err, out)
	}
	waitMounted(t, mnt)
	defer testenv.Unmount(mnt)
	if got, err := os.ReadFile(filepath.Join(mnt, "f")); err != nil || string(got) != "data" {
		t.Errorf("read back: %q %v", got, err)
	}
}
