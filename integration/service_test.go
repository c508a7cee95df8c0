package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sealfs/sealfs/integration/testenv"
)

// serviceDirs makes a key, a local store, a state dir and a mount point.
func serviceDirs(t *testing.T) (key, store, state, mnt string) {
	t.Helper()
	dir := t.TempDir()
	key, store, state, mnt = filepath.Join(dir, "k"), filepath.Join(dir, "store"), filepath.Join(dir, "state"), filepath.Join(dir, "mnt")
	os.Mkdir(store, 0o700)
	os.Mkdir(mnt, 0o755)
	if out, err := sealfs(t, nil, "keygen", key); err != nil {
		t.Fatal(err, out)
	}
	return key, store, state, mnt
}

// stopForeground sends SIGTERM and waits for a clean exit.
func stopForeground(t *testing.T, cmd *exec.Cmd, logs func() string) {
	t.Helper()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sealfs exited with %v\n%s", err, logs())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("sealfs did not exit after SIGTERM\n%s", logs())
	}
}

// Type=notify: READY=1 arrives once the mount serves (a file already in
// the store can be stat'ed the moment it arrives), with a STATUS= line;
// SIGTERM brings STOPPING=1. Under JOURNAL_STREAM the log lines carry
// syslog priorities and no timestamps.
func TestSystemdNotify(t *testing.T) {
	requireFUSE(t)
	key, store, state, mnt := serviceDirs(t)
	// A first mount leaves a file in the store.
	if out, err := sealfs(t, nil, "mount", "--key", key, "--state-dir", state, store, mnt); err != nil {
		t.Fatalf("mount: %v\n%s", err, out)
	}
	// The daemon form returns once the status socket answers too.
	if out, err := sealfs(t, nil, "status", "--state-dir", state, mnt); err != nil || !strings.Contains(out, mnt+": mounted (pid") {
		t.Errorf("status right after the daemon form returned: %v\n%s", err, out)
	}
	waitMounted(t, mnt)
	if err := os.WriteFile(filepath.Join(mnt, "hello"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := testenv.Unmount(mnt); err != nil {
		t.Fatal(err)
	}

	sock := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	msgs := make(chan string, 64)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(msgs)
				return
			}
			msgs <- string(buf[:n])
		}
	}()

	stderr, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(stderr.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	logs := func() string { b, _ := os.ReadFile(stderr.Name()); return string(b) }
	cmd := exec.Command(testenv.SealfsBinary(t), "mount", "--foreground", "--write-back", "--key", key, "--state-dir", state, store, mnt)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock, fmt.Sprintf("JOURNAL_STREAM=%d:%d", st.Dev, st.Ino), "WATCHDOG_USEC=1000000")
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer testenv.Unmount(mnt)

	next := func(what string) string {
		t.Helper()
		select {
		case m, ok := <-msgs:
			if !ok {
				t.Fatalf("notify socket closed while waiting for %s", what)
			}
			return m
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("no %s from sealfs within 30 s\n%s", what, logs())
		}
		return ""
	}
	ready := next("READY=1")
	// At once, before anything else: the mount must serve now.
	if _, err := os.Stat(filepath.Join(mnt, "hello")); err != nil {
		t.Fatalf("READY=1 arrived but a file through the mount cannot be stat'ed: %v", err)
	}
	lines := strings.Split(ready, "\n")
	if lines[0] != "READY=1" {
		t.Fatalf("first notification %q, want READY=1 first", ready)
	}
	if want := "STATUS=serving " + mnt + " on " + store + "; write-back queue 0"; !strings.Contains(ready, want) {
		t.Errorf("notification %q lacks %q", ready, want)
	}

	// Keep-alives at half of WatchdogSec (1 s here), and STATUS= refreshed.
	var watchdogs, statuses int
	deadline := time.After(15 * time.Second)
	for watchdogs < 2 || statuses < 1 {
		select {
		case m := <-msgs:
			switch {
			case m == "WATCHDOG=1":
				watchdogs++
			case strings.HasPrefix(m, "STATUS=serving "+mnt):
				statuses++
			default:
				t.Errorf("unexpected notification %q", m)
			}
		case <-deadline:
			t.Fatalf("after READY=1: %d WATCHDOG=1 and %d STATUS= refreshes in 15 s, want 2 and 1\n%s", watchdogs, statuses, logs())
		}
	}

	stopForeground(t, cmd, logs)
	var stopping bool
	for m := range drain(msgs) {
		if strings.Contains(m, "STOPPING=1") {
			stopping = true
		}
	}
	if !stopping {
		t.Errorf("no STOPPING=1 after SIGTERM\n%s", logs())
	}
	out := logs()
	if !strings.Contains(out, "<6>msg=mounted mountpoint="+mnt) || strings.Contains(out, "time=") {
		t.Errorf("log under JOURNAL_STREAM is not journald-friendly:\n%s", out)
	}
}

// drain returns what is left in msgs once nothing arrives for a moment.
func drain(msgs chan string) chan string {
	out := make(chan string, 64)
	go func() {
		defer close(out)
		for {
			select {
			case m, ok := <-msgs:
				if !ok {
					return
				}
				out <- m
			case <-time.After(time.Second):
				return
			}
		}
	}()
	return out
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// scrape returns the metrics as name{labels} → value.
func scrape(t *testing.T, url string) (map[string]float64, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			m[line[:i]] = v
		}
	}
	return m, string(body)
}

// The metrics endpoint, a key from a systemd credential, and sealfs status,
// on a real write-back mount of the local tier.
func TestMetricsAndStatus(t *testing.T) {
	requireFUSE(t)
	key, store, state, mnt := serviceDirs(t)
	creds := t.TempDir()
	data, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(creds, "sealfs-kek-7"), data, 0o400)
	port := freePort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)

	// A non-loopback address is refused before anything is mounted.
	out, err := sealfs(t, []string{"CREDENTIALS_DIRECTORY=" + creds}, "mount", "--foreground", "--key-credential", "sealfs-kek-7", "--key-id", "7",
		"--state-dir", state, "--metrics-listen", fmt.Sprintf("0.0.0.0:%d", port), store, mnt)
	if err == nil || !strings.Contains(out, "not a loopback address") {
		t.Fatalf("metrics on 0.0.0.0: %v\n%s", err, out)
	}
	// A missing credential is named.
	out, err = sealfs(t, []string{"CREDENTIALS_DIRECTORY=" + creds}, "mount", "--foreground", "--key-credential", "sealfs-kek-9", "--key-id", "9", "--state-dir", state, store, mnt)
	if err == nil || !strings.Contains(out, "credential:sealfs-kek-9") || !strings.Contains(out, "no credential sealfs-kek-9 in CREDENTIALS_DIRECTORY="+creds) {
		t.Fatalf("missing credential: %v\n%s", err, out)
	}

	var stderr strings.Builder
	cmd := exec.Command(testenv.SealfsBinary(t), "mount", "--foreground", "--write-back", "--key-credential", "sealfs-kek-7", "--key-id", "7",
		"--state-dir", state, "--metrics-listen", fmt.Sprintf("127.0.0.1:%d", port), store, mnt)
	cmd.Env = append(os.Environ(), "CREDENTIALS_DIRECTORY="+creds)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer testenv.Unmount(mnt)
	waitMounted(t, mnt)

	m, _ := scrape(t, url)
	for name, want := range map[string]float64{
		`sealfs_writeback_queued`:                              0,
		`sealfs_kek_loaded{kek_id="7",state="current"}`:        1,
		`sealfs_audit_events_total{kind="key-loaded"}`:         1,
		`sealfs_store_requests_total{op="commit",result="ok"}`: m[`sealfs_store_requests_total{op="commit",result="ok"}`],
	} {
		if got, ok := m[name]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", name, got, ok, want)
		}
	}
	if !hasPrefixKey(m, "sealfs_build_info{") {
		t.Error("no sealfs_build_info")
	}
	commits := m[`sealfs_store_requests_total{op="commit",result="ok"}`]

	name := filepath.Join(mnt, "patient-secret-name.dcm")
	if err := os.WriteFile(name, []byte("pixels"), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		m, body := scrape(t, url)
		if m[`sealfs_store_requests_total{op="commit",result="ok"}`] > commits && m["sealfs_writeback_queued"] == 0 {
			if strings.Contains(body, "patient-secret-name") || strings.Contains(body, mnt) {
				t.Errorf("metrics name a path:\n%s", body)
			}
			if m[`sealfs_store_request_duration_seconds_count{op="commit"}`] < 1 {
				t.Error("no commit latency recorded")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the write was never counted as a store commit:\n%s", body)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// A tampered object: EIO to the reader, an integrity-failed audit
	// event counted in the metrics and in the status.
	if err := os.WriteFile(filepath.Join(mnt, "tampered"), []byte("soon tampered with"), 0o644); err != nil {
		t.Fatal(err)
	}
	obj := filepath.Join(store, "tampered")
	waitFor(t, "the object in the store", func() bool { _, err := os.Stat(obj); return err == nil })
	// Until the write-back journal lets go of it, the mount serves its own
	// acknowledged copy, and never reads the store's.
	waitFor(t, "the upload to leave the journal", func() bool {
		m, _ := scrape(t, url)
		return m["sealfs_writeback_queued"] == 0
	})
	sealed, err := os.ReadFile(obj)
	if err != nil {
		t.Fatal(err)
	}
	sealed[len(sealed)-1] ^= 1
	if err := os.WriteFile(obj, sealed, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadFile(filepath.Join(mnt, "tampered")); err == nil {
		t.Fatal("a tampered object was read without error")
	}
	m, _ = scrape(t, url)
	if got := m[`sealfs_audit_events_total{kind="integrity-failed"}`]; got < 1 {
		t.Errorf("integrity failures counted: %v, want >= 1", got)
	}

	out, err = sealfs(t, nil, "status", "--state-dir", state, mnt)
	if err != nil {
		t.Fatalf("status: %v\n%s", err, out)
	}
	if !strings.Contains(out, "failures:     1 integrity") && !strings.Contains(out, "failures:     2 integrity") {
		t.Errorf("status does not count the integrity failure:\n%s", out)
	}
	t.Logf("sealfs status:\n%s", out)
	for _, want := range []string{mnt + ": mounted", "store:        " + store, "write-back:   0 pending upload(s)", "keys:         7 (current)", "    store     " + store + ": ", "    state     " + state + ": ", "LUKS ("} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	out, err = sealfs(t, nil, "status", "--json", "--state-dir", state, mnt)
	var r struct {
		Mounted bool
		Queued  int
		Keys    []struct{ ID uint32 }
		Devices []struct {
			Role string
			LUKS bool
		}
	}
	if err != nil || json.Unmarshal([]byte(out), &r) != nil || !r.Mounted || len(r.Keys) != 1 || r.Keys[0].ID != 7 || len(r.Devices) < 2 || r.Devices[0].Role != "store" {
		t.Errorf("status --json: %v\n%s", err, out)
	}

	// Asked at the wrong state dir: the mount table still shows the mount.
	out, err = sealfs(t, nil, "status", "--state-dir", t.TempDir(), mnt)
	if err == nil || !strings.Contains(out, mnt+": mounted (fuse.sealfs in the mount table), but no sealfs daemon answers at") {
		t.Errorf("status with the wrong state dir: %v\n%s", err, out)
	}

	stopForeground(t, cmd, stderr.String)
	out, err = sealfs(t, nil, "status", "--state-dir", state, mnt)
	if err == nil || !strings.Contains(out, mnt+": not mounted") {
		t.Errorf("status after unmount: %v\n%s", err, out)
	}
}

func hasPrefixKey(m map[string]float64, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// waitFor polls cond for up to 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
