package integration

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sealfs/sealfs/integration/testenv"
)

func requireFUSE(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("fusermount3")
	testenv.Require(t, "fusermount3 (apt-get install fuse3)", err == nil, "sealfs mounts through fusermount3")
	_, err = os.Stat("/dev/fuse")
	testenv.Require(t, "/dev/fuse", err == nil, "the kernel's FUSE device is missing")
}

func sealfs(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, testenv.SealfsBinary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func waitMounted(t *testing.T, mnt string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := testenv.WaitMounted(ctx, mnt, "fuse.sealfs"); err != nil {
		t.Fatalf("mount %s not ready: %v", mnt, err)
	}
}

func TestKeygen(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k")
	if out, err := sealfs(t, nil, "keygen", "--id", "3", key); err != nil {
		t.Fatalf("keygen: %v\n%s", err, out)
	}
	st, err := os.Stat(key)
	if err != nil || st.Mode().Perm() != 0o400 {
		t.Fatalf("key mode: %v %v", st.Mode(), err)
	}
	if out, err := sealfs(t, nil, "keygen", key); err == nil || !strings.Contains(out, "exist") {
		t.Errorf("keygen over an existing file: %v %s", err, out)
	}
}

// The embedded default: MOUNTPOINT alone mounts a local store with a
// development key created under the data dir, with one warning.
func TestEmbeddedDefaultDaemon(t *testing.T) {
	requireFUSE(t)
	home := t.TempDir()
	mnt := filepath.Join(home, "sealed")
	os.Mkdir(mnt, 0o755)
	env := []string{"HOME=" + home, "XDG_DATA_HOME=" + filepath.Join(home, "data"), "XDG_STATE_HOME=" + filepath.Join(home, "state")}
	out, err := sealfs(t, env, "mount", mnt)
	if err != nil {
		t.Fatalf("sealfs mount: %v\n%s", err, out)
	}
	defer testenv.Unmount(mnt)
	waitMounted(t, mnt)
	if c := strings.Count(out, "DEVELOPMENT key"); c != 1 {
		t.Errorf("want the development-key warning once on the terminal, got %d:\n%s", c, out)
	}
	data := []byte("hello from the default mount")
	if err := os.WriteFile(filepath.Join(mnt, "hello.txt"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(mnt, "hello.txt")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back: %v", err)
	}
	if err := testenv.Unmount(mnt); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(home, "data", "sealfs")
	if os.Geteuid() == 0 {
		t.Log("running as root: the default lives under /var/lib/sealfs; only checking the mount worked")
		return
	}
	if _, err := os.Stat(filepath.Join(dataDir, "dev-kek-1.key")); err != nil {
		t.Errorf("development key not created: %v", err)
	}
	logs, _ := os.ReadFile(filepath.Join(home, "state", "sealfs", strings.ReplaceAll(strings.Trim(mnt, "/"), "/", "-"), "sealfs.log"))
	if c := bytes.Count(logs, []byte("DEVELOPMENT key")); c != 1 {
		t.Errorf("want exactly one development-key warning in the log, got %d:\n%s", c, logs)
	}
}

// A daemonized mount stops cleanly on SIGTERM, and data closed before it is in the store.
func TestForegroundSIGTERM(t *testing.T) {
	requireFUSE(t)
	dir := t.TempDir()
	key, store, state, mnt := filepath.Join(dir, "k"), filepath.Join(dir, "store"), filepath.Join(dir, "state"), filepath.Join(dir, "mnt")
	os.Mkdir(store, 0o700)
	os.Mkdir(mnt, 0o755)
	if out, err := sealfs(t, nil, "keygen", key); err != nil {
		t.Fatal(err, out)
	}
	cmd := exec.Command(testenv.SealfsBinary(t), "mount", "--foreground", "--key", key, "--key-id", "7", "--state-dir", state, store, mnt)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitMounted(t, mnt)
	f, err := os.Create(filepath.Join(mnt, "open-at-unmount"))
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("written before SIGTERM"))
	cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond)
	// The mount is busy while the file is open: it must keep serving.
	if _, err := f.Write([]byte(", and after")); err != nil {
		t.Fatalf("write after SIGTERM with the file open: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sealfs exited with %v\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("sealfs did not exit after SIGTERM\n%s", stderr.String())
	}
	if _, err := os.Stat(filepath.Join(store, "open-at-unmount")); err != nil {
		t.Errorf("file closed before unmount is not in the store: %v", err)
	}
}

// A malformed config or key stops the mount with an error naming the problem.
func TestFailClosed(t *testing.T) {
	requireFUSE(t)
	dir := t.TempDir()
	store, mnt := filepath.Join(dir, "store"), filepath.Join(dir, "mnt")
	os.Mkdir(store, 0o700)
	os.Mkdir(mnt, 0o755)
	badKey := filepath.Join(dir, "bad.key")
	os.WriteFile(badKey, []byte("c2hvcnQ=\n"), 0o600)
	openKey := filepath.Join(dir, "open.key")
	os.WriteFile(openKey, []byte("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"), 0o644)
	conf := func(body string) string {
		p := filepath.Join(dir, "c"+time.Now().Format("150405.000000000")+".json")
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"short key", []string{"mount", "--key", badKey, store, mnt}, "32 bytes"},
		{"key readable by others", []string{"mount", "--key", openKey, store, mnt}, "chmod"},
		{"no key with a store", []string{"mount", store, mnt}, "no key"},
		{"unknown config key", []string{"mount", "--config", conf(`{"stroe": "x"}`), mnt}, "stroe"},
		{"bad JSON", []string{"mount", "--config", conf(`{"store": `), mnt}, "config"},
		{"encryption disabled", []string{"mount", "--config", conf(`{"store": "` + store + `", "StorageEncryption": {"Enable": false}}`), mnt}, "Enable"},
		{"unsupported scheme", []string{"mount", "--key", badKey, "ftp://host/x", mnt}, "unknown scheme"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := sealfs(t, nil, append([]string{}, c.args...)...)
			if err == nil {
				testenv.Unmount(mnt)
				t.Fatalf("mount succeeded:\n%s", out)
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("error does not mention %q:\n%s", c.want, out)
			}
			if ok, _ := testenv.Mounted(mnt, "fuse.sealfs"); ok {
				testenv.Unmount(mnt)
				t.Errorf("mounted despite the error")
			}
		})
	}
}

// An unprivileged desktop user mounts through fusermount3; --allow-other
// without user_allow_other in /etc/fuse.conf is refused with the reason.
func TestUnprivilegedUser(t *testing.T) {
	requireFUSE(t)
	testenv.Require(t, "root", os.Geteuid() == 0, "switching to an unprivileged user needs root")
	setpriv, err := exec.LookPath("setpriv")
	testenv.Require(t, "setpriv (util-linux)", err == nil, "runs sealfs as uid 65534")
	bin := testenv.SealfsBinary(t)
	home, err := os.MkdirTemp("/var/tmp", "sealfs-user-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(home)
	os.Chmod(home, 0o755)
	binCopy := filepath.Join(home, "sealfs")
	data, _ := os.ReadFile(bin)
	os.WriteFile(binCopy, data, 0o755)
	mnt := filepath.Join(home, "mnt")
	os.Mkdir(mnt, 0o755)
	for _, p := range []string{home, mnt} {
		os.Chown(p, 65534, 65534)
	}
	asUser := func(args ...string) (string, error) {
		cmd := exec.Command(setpriv, append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", "--", binCopy}, args...)...)
		cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin:/usr/sbin:/sbin"}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	fuseConf, _ := os.ReadFile("/etc/fuse.conf")
	if !bytes.Contains(fuseConf, []byte("\nuser_allow_other")) && !bytes.HasPrefix(fuseConf, []byte("user_allow_other")) {
		out, err := asUser("mount", "--allow-other", mnt)
		if err == nil || !strings.Contains(out, "user_allow_other") {
			testenv.Unmount(mnt)
			t.Errorf("--allow-other without user_allow_other: err=%v\n%s", err, out)
		}
	}
	out, err := asUser("mount", mnt)
	if err != nil {
		t.Fatalf("unprivileged mount: %v\n%s", err, out)
	}
	defer testenv.Unmount(mnt)
	waitMounted(t, mnt)
	if c := strings.Count(out, "DEVELOPMENT key"); c != 1 {
		t.Errorf("want the development-key warning once on the terminal, got %d:\n%s", c, out)
	}
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--", "/bin/sh", "-c", "echo user-data > "+filepath.Join(mnt, "u.txt")+" && cat "+filepath.Join(mnt, "u.txt"))
	got, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(got)) != "user-data" {
		t.Fatalf("unprivileged write/read: %v %q", err, got)
	}
	if _, err := os.Stat(filepath.Join(home, ".local", "share", "sealfs", "dev-kek-1.key")); err != nil {
		t.Errorf("development key not under the user's data dir: %v", err)
	}
	if out, err := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--", "fusermount3", "-u", mnt).CombinedOutput(); err != nil {
		t.Errorf("fusermount3 -u as the user: %v %s", err, out)
	}
	if ok, _ := testenv.Mounted(mnt, "fuse.sealfs"); ok {
		t.Errorf("still mounted after fusermount3 -u")
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"mount", "--help"}, {"keygen", "--help"}} {
		out, err := sealfs(t, nil, args...)
		if err != nil || !strings.Contains(out, "USAGE") {
			t.Errorf("sealfs %v: %v\n%s", args, err, out)
		}
	}
	if _, err := sealfs(t, nil, "mount"); err == nil {
		t.Errorf("mount without arguments succeeded")
	} else if !errors.As(err, new(*exec.ExitError)) {
		t.Errorf("mount without arguments: %v", err)
	}
}
