package integration

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sealfs/sealfs/integration/testenv"
)

// mountFixture is a key, a local store, a state dir and a mount point.
type mountFixture struct {
	dir, key, store, state, mnt string
}

func newMountFixture(t *testing.T) mountFixture {
	t.Helper()
	dir := t.TempDir()
	f := mountFixture{dir: dir, key: filepath.Join(dir, "k"), store: filepath.Join(dir, "store"),
		state: filepath.Join(dir, "state"), mnt: filepath.Join(dir, "mnt")}
	for _, d := range []string{f.store, f.mnt} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := sealfs(t, nil, "keygen", f.key); err != nil {
		t.Fatalf("keygen: %v\n%s", err, out)
	}
	return f
}

// mountArgs is "mount [extra...] --key K --state-dir S STORE MNT".
func (f mountFixture) mountArgs(extra ...string) []string {
	args := append([]string{"mount"}, extra...)
	return append(args, "--key", f.key, "--state-dir", f.state, f.store, f.mnt)
}

// mountCount counts the mounts stacked at dir in /proc/self/mountinfo.
func mountCount(t *testing.T, dir string) int {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		if fields := strings.Fields(line); len(fields) > 4 && fields[4] == dir {
			n++
		}
	}
	return n
}

// A second mount of the same path is refused; one mount stays.
func TestMountRefusesMountedPoint(t *testing.T) {
	requireFUSE(t)
	f := newMountFixture(t)
	if out, err := sealfs(t, nil, f.mountArgs()...); err != nil {
		t.Fatalf("first mount: %v\n%s", err, out)
	}
	defer testenv.Unmount(f.mnt)
	waitMounted(t, f.mnt)
	for range 2 {
		out, err := sealfs(t, nil, f.mountArgs()...)
		if err == nil {
			t.Errorf("second mount succeeded:\n%s", out)
		} else if !strings.Contains(out, "already a mount point") || !strings.Contains(out, "fusermount3 -u "+f.mnt) {
			t.Errorf("second mount: want 'already a mount point' and the unmount command:\n%s", out)
		}
	}
	if n := mountCount(t, f.mnt); n != 1 {
		t.Errorf("%d mounts stacked at %s, want 1", n, f.mnt)
	}
}

// A mount whose daemon was killed with -9 is named as a dead mount, with
// the command that clears it; once cleared, mounting works again.
func TestMountRefusesDeadMount(t *testing.T) {
	requireFUSE(t)
	f := newMountFixture(t)
	cmd := exec.Command(testenv.SealfsBinary(t), f.mountArgs("--foreground")...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill only once sealfs says it is mounted: go-fuse polls its own
	// mount while mounting, and a daemon killed in that poll hangs in
	// the kernel instead of leaving a dead mount.
	mounted := make(chan bool, 1)
	go func() {
		scanner := bufio.NewScanner(stderr)
		for scanner.Scan() {
			if strings.Contains(scanner.Text(), "msg=mounted") {
				mounted <- true
			}
		}
		close(mounted)
	}()
	select {
	case ok := <-mounted:
		if !ok {
			t.Fatal("sealfs exited before mounting")
		}
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatal("sealfs did not mount within a minute")
	}
	waitMounted(t, f.mnt)
	cmd.Process.Kill()
	cmd.Wait()
	defer exec.Command("umount", "-l", f.mnt).Run()
	out, err := sealfs(t, nil, f.mountArgs()...)
	if err == nil {
		t.Fatalf("mount over a dead mount succeeded:\n%s", out)
	}
	for _, want := range []string{"dead FUSE mount", "the sealfs daemon", "not connected", "fusermount3 -u " + f.mnt, "umount -l " + f.mnt} {
		if !strings.Contains(out, want) {
			t.Errorf("error does not mention %q:\n%s", want, out)
		}
	}
	if out, err := exec.Command("fusermount3", "-u", f.mnt).CombinedOutput(); err != nil {
		t.Fatalf("the suggested fusermount3 -u failed: %v\n%s", err, out)
	}
	if out, err := sealfs(t, nil, f.mountArgs()...); err != nil {
		t.Fatalf("mount after clearing the dead mount: %v\n%s", err, out)
	}
	defer testenv.Unmount(f.mnt)
	waitMounted(t, f.mnt)
}

// A mount point holding files is refused unless --nonempty.
func TestMountRefusesNonEmpty(t *testing.T) {
	requireFUSE(t)
	f := newMountFixture(t)
	if err := os.WriteFile(filepath.Join(f.mnt, "written-while-down.dcm"), []byte("plaintext"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := sealfs(t, nil, f.mountArgs()...)
	if err == nil {
		testenv.Unmount(f.mnt)
		t.Fatalf("mount over a non-empty directory succeeded:\n%s", out)
	}
	if !strings.Contains(out, "not empty") || !strings.Contains(out, "written-while-down.dcm") || !strings.Contains(out, "--nonempty") {
		t.Errorf("error does not name the file and --nonempty:\n%s", out)
	}
	if ok, _ := testenv.Mounted(f.mnt, "fuse.sealfs"); ok {
		testenv.Unmount(f.mnt)
		t.Fatal("mounted despite the error")
	}
	if out, err := sealfs(t, nil, f.mountArgs("--nonempty")...); err != nil {
		t.Fatalf("mount --nonempty: %v\n%s", err, out)
	}
	defer testenv.Unmount(f.mnt)
	waitMounted(t, f.mnt)
	if _, err := os.Stat(filepath.Join(f.mnt, "written-while-down.dcm")); err == nil {
		t.Errorf("the hidden file shows through the mount")
	}
}

// SIGHUP reopens the log file and the audit log (logrotate renamed them)
// and leaves the mount working.
func TestSIGHUPReopensLogs(t *testing.T) {
	requireFUSE(t)
	f := newMountFixture(t)
	logPath, auditPath := filepath.Join(f.dir, "sealfs.log"), filepath.Join(f.dir, "audit.log")
	cmd := exec.Command(testenv.SealfsBinary(t), f.mountArgs("--foreground", "--log-file", logPath, "--audit-log", auditPath)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			testenv.Unmount(f.mnt)
		}
	}()
	waitMounted(t, f.mnt)
	for _, p := range []string{logPath, auditPath} {
		if err := os.Rename(p, p+".1"); err != nil {
			t.Fatal(err)
		}
	}
	for round := 1; round <= 2; round++ {
		if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			data, _ := os.ReadFile(logPath)
			if bytes.Count(data, []byte("reopened the log files")) >= round {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: no reopen line in the new %s:\n%s\nstderr:\n%s", round, logPath, data, stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if _, err := os.Stat(auditPath); err != nil {
		t.Errorf("the audit log was not reopened: %v", err)
	}
	select {
	case err := <-exited:
		t.Fatalf("sealfs exited after SIGHUP: %v\n%s", err, stderr.String())
	default:
	}
	if ok, _ := testenv.Mounted(f.mnt, "fuse.sealfs"); !ok {
		t.Fatal("SIGHUP unmounted")
	}
	data := []byte("written after SIGHUP")
	if err := os.WriteFile(filepath.Join(f.mnt, "after-hup"), data, 0o600); err != nil {
		t.Fatalf("write after SIGHUP: %v", err)
	}
	if got, err := os.ReadFile(filepath.Join(f.mnt, "after-hup")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read after SIGHUP: %q %v", got, err)
	}
	if old, _ := os.ReadFile(logPath + ".1"); !bytes.Contains(old, []byte("mounted")) {
		t.Errorf("the rotated log lost its lines:\n%s", old)
	}
}

// The readiness pipe to the waiting parent is not inherited by a key
// command: the command fails the mount if it finds descriptor 3 open.
func TestReadyPipeCloseOnExec(t *testing.T) {
	requireFUSE(t)
	f := newMountFixture(t)
	script := fmt.Sprintf(`if [ -e /proc/$$/fd/3 ]; then echo "fd 3 leaked: $(readlink /proc/$$/fd/3)" >&2; exit 3; fi; cat %s`, f.key)
	conf := filepath.Join(f.dir, "conf.json")
	body := fmt.Sprintf(`{"store": %q, "state_dir": %q, "keys": [{"id": 1, "state": "current", "command": ["/bin/sh", "-c", %q]}]}`, f.store, f.state, script)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := sealfs(t, nil, "mount", "--config", conf, f.mnt)
	if err != nil {
		t.Fatalf("mount with a key command: %v\n%s", err, out)
	}
	defer testenv.Unmount(f.mnt)
	waitMounted(t, f.mnt)
}

// A daemonized mount that fusermount3 refuses shows fusermount3's own
// message, not only its exit code.
func TestFailedDaemonShowsFusermountError(t *testing.T) {
	requireFUSE(t)
	testenv.Require(t, "root", os.Geteuid() == 0, "switching to an unprivileged user needs root")
	setpriv, err := exec.LookPath("setpriv")
	testenv.Require(t, "setpriv (util-linux)", err == nil, "runs sealfs as uid 65534")
	home, err := os.MkdirTemp("/var/tmp", "sealfs-user-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(home)
	os.Chmod(home, 0o755)
	bin := filepath.Join(home, "sealfs")
	data, err := os.ReadFile(testenv.SealfsBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(bin, data, 0o755)
	userHome := filepath.Join(home, "u")
	os.Mkdir(userHome, 0o700)
	os.Chown(userHome, 65534, 65534)
	rootOwned := filepath.Join(home, "root-owned-mnt") // fusermount3 refuses: no write access
	os.Mkdir(rootOwned, 0o755)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--", bin, "mount", rootOwned)
	cmd.Env = []string{"HOME=" + userHome, "PATH=/usr/bin:/bin:/usr/sbin:/sbin"}
	outBytes, err := cmd.CombinedOutput()
	out := string(outBytes)
	if err == nil {
		testenv.Unmount(rootOwned)
		t.Fatalf("mount on a root-owned directory succeeded as uid 65534:\n%s", out)
	}
	if !strings.Contains(out, "fusermount3: ") {
		t.Errorf("fusermount3's own message is missing:\n%s", out)
	}
	if strings.Count(out, "fusermount exited with code") > 1 {
		t.Errorf("the error is repeated:\n%s", out)
	}
}

// help, version, an unknown command and flags after the paths get proper
// messages; mount --help shows examples and each default once.
func TestCLIMessages(t *testing.T) {
	cases := []struct {
		args    []string
		wantErr bool
		want    []string
	}{
		{[]string{"help"}, false, []string{"USAGE", "mount", "keygen", "guard", "version"}},
		{[]string{"help", "mount"}, false, []string{"Examples:", "--nonempty"}},
		{[]string{"version"}, false, []string{"sealfs ", "go1."}},
		{[]string{"--version"}, false, []string{"sealfs version"}},
		{[]string{"frobnicate"}, true, []string{`unknown command "frobnicate"`, "mount, keygen, guard, version"}},
		{[]string{"help", "frobnicate"}, true, []string{`unknown command "frobnicate"`}},
		{[]string{"help", "keygen"}, false, []string{"sealfs keygen", "--id"}},
		{[]string{"mount", "/nonexistent-store", "/nonexistent-mnt", "--foreground"}, true, []string{`"--foreground" comes after the arguments; flags go first`}},
		{[]string{"keygen", "/tmp/k", "--id", "3"}, true, []string{"flags go first"}},
		{[]string{"mount", "--config", "/dev/null/x", "--bogus-flag", "m"}, true, []string{"bogus-flag"}},
	}
	for _, c := range cases {
		out, err := sealfs(t, nil, c.args...)
		if (err != nil) != c.wantErr {
			t.Errorf("sealfs %v: err = %v, want error %v\n%s", c.args, err, c.wantErr, out)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("sealfs %v: output does not contain %q:\n%s", c.args, w, out)
			}
		}
		if strings.Contains(out, "No help topic") {
			t.Errorf("sealfs %v: %s", c.args, out)
		}
	}
	out, _ := sealfs(t, nil, "mount", "--help")
	for _, line := range strings.Split(out, "\n") {
		if strings.Count(line, "default") > 1 {
			t.Errorf("a default shown twice: %s", line)
		}
	}
	if !strings.Contains(out, "Examples:") {
		t.Errorf("mount --help has no examples:\n%s", out)
	}
}

// Settings and permissions that must stop the mount before anything is
// mounted, each with a message naming the problem.
func TestMountRefusesBadSettings(t *testing.T) {
	requireFUSE(t)
	f := newMountFixture(t)
	conf := func(name, body string, mode os.FileMode) string {
		p := filepath.Join(f.dir, name)
		os.WriteFile(p, []byte(body), mode)
		os.Chmod(p, mode)
		return p
	}
	openState := filepath.Join(f.dir, "open-state")
	os.Mkdir(openState, 0o700)
	os.Chmod(openState, 0o777)
	keys := fmt.Sprintf(`"keys": [{"id": 1, "state": "current", "file": %q}]`, f.key)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"config without store", []string{"mount", "--config", conf("nostore.json", `{`+keys+`}`, 0o600), f.mnt}, "no STORE"},
		{"config without keys", []string{"mount", "--config", conf("nokeys.json", fmt.Sprintf(`{"store": %q}`, f.store), 0o600), f.mnt}, "no key"},
		{"chunk size 5000", append([]string{"mount", "--chunk-size", "5000"}, f.mountArgs()[1:]...), "chunk_size (--chunk-size) is 5000 bytes"},
		{"negative verify_open_max", []string{"mount", "--config", conf("vom.json", fmt.Sprintf(`{"store": %q, "verify_open_max": -1, %s}`, f.store, keys), 0o600), f.mnt}, "verify_open_max"},
		{"negative memory budget", append([]string{"mount", "--memory-budget", "-1"}, f.mountArgs()[1:]...), "memory_budget"},
		{"secret config readable", []string{"mount", "--config", conf("secret.json", fmt.Sprintf(`{"store": "s3://b?endpoint=https://s3.example.org", "s3": {"access_key": "AK", "secret_key": "SK"}, %s}`, keys), 0o644), f.mnt}, "chmod 600"},
		{"plain http to another host", []string{"mount", "--key", f.key, "s3://b?endpoint=http://192.0.2.1:9000", f.mnt}, "allow_insecure_http"},
		{"state dir writable by others", []string{"mount", "--key", f.key, "--state-dir", openState, f.store, f.mnt}, "chmod 700 " + openState},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := sealfs(t, nil, c.args...)
			if err == nil {
				testenv.Unmount(f.mnt)
				t.Fatalf("mount succeeded:\n%s", out)
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("error does not mention %q:\n%s", c.want, out)
			}
			if ok, _ := testenv.Mounted(f.mnt, "fuse.sealfs"); ok {
				testenv.Unmount(f.mnt)
				t.Errorf("mounted despite the error")
			}
		})
	}
}

// Without fusermount3 and fusermount (hidden here by binding /dev/null,
// which is not executable, over them in a private mount namespace), the
// mount says that fuse3 is missing and how to install it.
func TestFuse3Missing(t *testing.T) {
	requireFUSE(t)
	testenv.Require(t, "root", os.Geteuid() == 0, "a private mount namespace needs root")
	unshare, err := exec.LookPath("unshare")
	testenv.Require(t, "unshare (util-linux)", err == nil, "hides fusermount3 in a private mount namespace")
	f := newMountFixture(t)
	var hide []string
	for _, name := range []string{"fusermount3", "fusermount"} {
		for _, dir := range []string{"/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin", "/sbin"} {
			p := filepath.Join(dir, name)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				hide = append(hide, fmt.Sprintf("mount --bind /dev/null %s", p))
			}
		}
	}
	script := strings.Join(append(hide, `exec "$@"`), " && ")
	args := append([]string{"--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh", testenv.SealfsBinary(t)}, f.mountArgs()...)
	out, err := exec.Command(unshare, args...).CombinedOutput()
	if err == nil {
		testenv.Unmount(f.mnt)
		t.Fatalf("mount without fusermount3 succeeded:\n%s", out)
	}
	if !strings.Contains(string(out), "fuse3 is not installed") || !strings.Contains(string(out), "apt-get install fuse3") {
		t.Errorf("error does not say fuse3 is missing:\n%s", out)
	}
}

// Two daemons never share a state dir, even on different mount points.
func TestMountRefusesSharedStateDir(t *testing.T) {
	requireFUSE(t)
	f := newMountFixture(t)
	if out, err := sealfs(t, nil, f.mountArgs()...); err != nil {
		t.Fatalf("first mount: %v\n%s", err, out)
	}
	defer testenv.Unmount(f.mnt)
	waitMounted(t, f.mnt)
	other := filepath.Join(f.dir, "other-mnt")
	if err := os.Mkdir(other, 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := sealfs(t, nil, "mount", "--key", f.key, "--state-dir", f.state, f.store, other)
	if err == nil {
		testenv.Unmount(other)
		t.Fatalf("a second daemon on the same state dir mounted:\n%s", out)
	}
	if !strings.Contains(out, "uses the state dir "+f.state) {
		t.Errorf("error does not name the shared state dir:\n%s", out)
	}
	if ok, _ := testenv.Mounted(other, "fuse.sealfs"); ok {
		testenv.Unmount(other)
		t.Error("mounted despite the error")
	}
}
