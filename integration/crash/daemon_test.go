package crash

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sealfs/sealfs/integration/testenv"
)

// Bounds on the daemon's life: a mount must appear, a killed or unmounted
// daemon must exit, within these (they catch hangs; they measure nothing).
const (
	mountTimeout = 30 * time.Second
	exitTimeout  = 2 * time.Minute // a clean write-back unmount drains uploads first
)

// requireFUSE stops the test unless sealfs can mount here.
func requireFUSE(t *testing.T) {
	t.Helper()
	_, err := exec.LookPath("fusermount3")
	testenv.Require(t, "fusermount3 (apt-get install fuse3)", err == nil, "sealfs mounts through fusermount3")
	_, err = os.Stat("/dev/fuse")
	testenv.Require(t, "/dev/fuse", err == nil, "the kernel's FUSE device is missing")
}

// mountFlagSupported reports whether "sealfs mount --help" lists flag.
func mountFlagSupported(t *testing.T, flag string) bool {
	t.Helper()
	out, err := exec.Command(testenv.SealfsBinary(t), "mount", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("sealfs mount --help: %v\n%s", err, out)
	}
	return bytes.Contains(out, []byte(flag))
}

// newKey writes a fresh KEK with sealfs keygen into dir.
func newKey(t *testing.T, dir string) string {
	t.Helper()
	key := filepath.Join(dir, "kek-1.key")
	if out, err := exec.Command(testenv.SealfsBinary(t), "keygen", "--id", "1", key).CombinedOutput(); err != nil {
		t.Fatalf("sealfs keygen: %v\n%s", err, out)
	}
	return key
}

// daemon is one "sealfs mount --foreground" process.
type daemon struct {
	mountpoint string
	logPath    string
	cmd        *exec.Cmd
	exited     chan error
	done       bool // reaped by kill or stop
}

// startDaemon mounts with the config file (and extra flags) at mountpoint,
// appending the daemon's output to logPath, and waits for the mount. The
// daemon is killed when the test ends if the test has not stopped it.
func startDaemon(t *testing.T, config string, extra []string, mountpoint, logPath string) *daemon {
	t.Helper()
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "===== %s: sealfs mount --config %s %s\n", time.Now().Format(time.TimeOnly), filepath.Base(config), strings.Join(extra, " "))
	args := append([]string{"mount", "--foreground", "--config", config}, extra...)
	cmd := exec.Command(testenv.SealfsBinary(t), append(args, mountpoint)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting sealfs: %v", err)
	}
	d := &daemon{mountpoint: mountpoint, logPath: logPath, cmd: cmd, exited: make(chan error, 1)}
	go func() { d.exited <- cmd.Wait() }()
	t.Cleanup(func() { d.abandon(t) })
	ctx, cancel := context.WithTimeout(context.Background(), mountTimeout)
	defer cancel()
	select {
	case err := <-d.exited:
		d.exited <- err
		t.Fatalf("sealfs exited before mounting (%v)\n%s", err, d.logTail())
	default:
	}
	if err := testenv.WaitMounted(ctx, mountpoint, "fuse.sealfs"); err != nil {
		t.Fatalf("sealfs did not mount: %v\n%s", err, d.logTail())
	}
	return d
}

// kill sends SIGKILL and reaps the process. The dead mount stays, so that
// whoever still uses it gets errors; detach it afterwards.
func (d *daemon) kill(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL to sealfs: %v", err)
	}
	select {
	case err := <-d.exited:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Errorf("sealfs ended with %v, want killed by SIGKILL\n%s", err, d.logTail())
		}
	case <-time.After(exitTimeout):
		t.Fatalf("sealfs did not exit after SIGKILL")
	}
	d.done = true
}

// detach removes the dead mount of a killed daemon with "fusermount3 -u
// -z" (umount -l as a fallback), leaving the mount point empty for the
// next daemon.
func (d *daemon) detach(t *testing.T) {
	t.Helper()
	if err := detach(d.mountpoint); err != nil {
		t.Fatal(err)
	}
}

// stop unmounts cleanly and requires the daemon to exit with status 0.
func (d *daemon) stop(t *testing.T) {
	t.Helper()
	if err := testenv.Unmount(d.mountpoint); err != nil {
		t.Fatalf("unmounting %s: %v\n%s", d.mountpoint, err, d.logTail())
	}
	select {
	case err := <-d.exited:
		if err != nil {
			t.Fatalf("sealfs exited with %v after a clean unmount\n%s", err, d.logTail())
		}
	case <-time.After(exitTimeout):
		t.Fatalf("sealfs did not exit within %v of a clean unmount\n%s", exitTimeout, d.logTail())
	}
	d.done = true
}

// abandon kills a daemon the test left running and detaches its mount.
func (d *daemon) abandon(t *testing.T) {
	if d.done {
		return
	}
	d.done = true
	_ = d.cmd.Process.Kill()
	<-d.exited
	if err := detach(d.mountpoint); err != nil {
		t.Error(err)
	}
}

// detach lazily unmounts whatever FUSE mount is left at mountpoint.
func detach(mountpoint string) error {
	mounted, err := testenv.Mounted(mountpoint, "")
	if err != nil || !mounted {
		return err
	}
	out, fuseErr := exec.Command("fusermount3", "-u", "-z", mountpoint).CombinedOutput()
	if fuseErr != nil {
		if sysErr := unix.Unmount(mountpoint, unix.MNT_DETACH); sysErr != nil {
			return fmt.Errorf("detaching %s: fusermount3 -u -z: %w (%s); umount -l: %w", mountpoint, fuseErr, bytes.TrimSpace(out), sysErr)
		}
	}
	if mounted, err := testenv.Mounted(mountpoint, "fuse.sealfs"); err != nil || mounted {
		return fmt.Errorf("%s is still mounted after a lazy unmount (%v)", mountpoint, err)
	}
	return nil
}

// logTail returns the end of the daemon's log.
func (d *daemon) logTail() string {
	data, _ := os.ReadFile(d.logPath)
	if len(data) > 6000 {
		data = data[len(data)-6000:]
	}
	return string(data)
}
