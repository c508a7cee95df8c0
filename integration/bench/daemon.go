package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sealfs/sealfs/integration/testenv"
)

// mountTimeout bounds the wait for a daemon's mount to appear.
const mountTimeout = 60 * time.Second

// stopTimeout bounds the wait for a daemon to exit after SIGTERM.
const stopTimeout = 60 * time.Second

// errDaemonExited reports a filesystem daemon that stopped before its mount
// appeared.
var errDaemonExited = errors.New("daemon exited before its mount appeared")

// errHung reports a phase that outlived -hang-timeout on a FUSE target.
var errHung = errors.New("filesystem call hung")

// errStatusField reports a /proc/PID/status without the field asked for.
var errStatusField = errors.New("field not found in /proc status")

// daemon is a FUSE filesystem process started in the foreground.
type daemon struct {
	name       string
	cmd        *exec.Cmd
	mountpoint string
	logPath    string
	cleanExits []int // exit codes that mean a normal stop after SIGTERM
	exited     chan struct{}
	waitErr    error // set before exited is closed
}

// startDaemon starts a foreground FUSE daemon, with its output going to
// logPath, and waits until mountpoint shows up as fstype.
func startDaemon(ctx context.Context, name, logPath, mountpoint, fstype string, cleanExits []int, command string, args ...string) (*daemon, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("%s log: %w", name, err)
	}
	defer logFile.Close() // the child holds its own descriptor
	cmd := exec.Command(command, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group: a Ctrl-C reaches only the bench, which then
	// stops the daemons in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	d := &daemon{name: name, cmd: cmd, mountpoint: mountpoint, logPath: logPath, cleanExits: cleanExits, exited: make(chan struct{})}
	go func() {
		d.waitErr = cmd.Wait()
		close(d.exited)
	}()

	waitCtx, cancel := context.WithTimeout(ctx, mountTimeout)
	defer cancel()
	go func() {
		select {
		case <-d.exited:
			cancel()
		case <-waitCtx.Done():
		}
	}()
	if err := testenv.WaitMounted(waitCtx, mountpoint, fstype); err != nil {
		select {
		case <-d.exited:
			err = fmt.Errorf("%s: %w: %v\n%s", name, errDaemonExited, d.waitErr, d.logTail())
		default:
			err = errors.Join(fmt.Errorf("%s: %w\n%s", name, err, d.logTail()), d.stop())
		}
		return nil, err
	}
	return d, nil
}

// stop sends SIGTERM, waits for the daemon to exit (killing it after
// stopTimeout), makes sure its mount is gone, and reports an unclean exit.
func (d *daemon) stop() error {
	killed := false
	select {
	case <-d.exited:
	default:
		if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("stopping %s: %w", d.name, err)
		}
		select {
		case <-d.exited:
		case <-time.After(stopTimeout):
			_ = d.cmd.Process.Kill() // it may have exited meanwhile
			<-d.exited
			killed = true
		}
	}
	var errs []error
	if killed {
		errs = append(errs, fmt.Errorf("%s did not exit within %v of SIGTERM and was killed", d.name, stopTimeout))
	} else if !d.cleanExit() {
		errs = append(errs, fmt.Errorf("%s exited uncleanly after SIGTERM: %w\n%s", d.name, d.waitErr, d.logTail()))
	}
	mounted, err := testenv.Mounted(d.mountpoint, "")
	switch {
	case err != nil:
		errs = append(errs, err)
	case mounted:
		errs = append(errs, fmt.Errorf("%s left %s mounted", d.name, d.mountpoint))
		if err := testenv.Unmount(d.mountpoint); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// watchHang sends SIGQUIT to the daemon if stop has not been called within
// timeout: a Go daemon then writes every goroutine's stack to its log and
// exits, which also ends the stuck calls. stop reports whether that happened.
func (d *daemon) watchHang(timeout time.Duration) (stop func() bool) {
	var fired atomic.Bool
	timer := time.AfterFunc(timeout, func() {
		fired.Store(true)
		_ = d.cmd.Process.Signal(syscall.SIGQUIT) // it may have exited already
	})
	return func() bool {
		timer.Stop()
		return fired.Load()
	}
}

// cleanExit reports whether the daemon exited with one of its normal codes.
func (d *daemon) cleanExit() bool {
	code := 0
	var exitErr *exec.ExitError
	if errors.As(d.waitErr, &exitErr) {
		code = exitErr.ExitCode()
	} else if d.waitErr != nil {
		return false
	}
	return slices.Contains(d.cleanExits, code)
}

// logTail returns the last lines of the daemon's log, for error messages.
func (d *daemon) logTail() string {
	data, err := os.ReadFile(d.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	const keep = 20
	if len(lines) > keep {
		lines = lines[len(lines)-keep:]
	}
	return d.name + " log " + d.logPath + ":\n" + strings.Join(lines, "\n")
}

// peakRSS returns the daemon's peak resident set size in bytes (VmHWM).
func (d *daemon) peakRSS() (int64, error) {
	file, err := os.Open(filepath.Join("/proc", strconv.Itoa(d.cmd.Process.Pid), "status"))
	if err != nil {
		return 0, fmt.Errorf("%s peak RSS: %w", d.name, err)
	}
	defer file.Close()
	kib, err := statusKiB(file, "VmHWM")
	if err != nil {
		return 0, fmt.Errorf("%s peak RSS: %w", d.name, err)
	}
	return kib << 10, nil
}

// statusKiB reads a "Field:   1234 kB" line of /proc/PID/status.
func statusKiB(r io.Reader, field string) (int64, error) {
	scanner := bufio.NewScanner(r)
	for scanner.Scan() {
		name, value, found := strings.Cut(scanner.Text(), ":")
		if !found || name != field {
			continue
		}
		number, ok := strings.CutSuffix(strings.TrimSpace(value), " kB")
		if !ok {
			return 0, fmt.Errorf("%s: %q is not in kB", field, value)
		}
		return strconv.ParseInt(strings.TrimSpace(number), 10, 64)
	}
	if err := scanner.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%w: %s", errStatusField, field)
}
