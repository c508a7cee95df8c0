package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// readyFDEnv tells a daemonized child which descriptor leads back to the
// parent waiting for the mount.
const readyFDEnv = "SEALFS_READY_FD"

// daemonize re-runs this command in the foreground as a detached child and
// waits until the child reports that the mount is ready, or why it failed.
// Until then the child's stderr comes here: when the mount fails, what
// fusermount said is part of the error.
func daemonize(cfg *config) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	errR, errW, err := os.Pipe()
	if err != nil {
		w.Close()
		return err
	}
	defer errR.Close()
	self, err := os.Executable()
	if err != nil {
		w.Close()
		errW.Close()
		return err
	}
	logFile := cfg.LogFile
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		w.Close()
		errW.Close()
		return fmt.Errorf("state dir: %w", err)
	}
	if err := checkStateDir(cfg.StateDir); err != nil {
		w.Close()
		errW.Close()
		return err
	}
	if logFile == "" {
		logFile = filepath.Join(cfg.StateDir, "sealfs.log")
	}
	args := append([]string{"mount", "--foreground", "--log-file", logFile}, childArgs()...)
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), readyFDEnv+"=3")
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stderr = errW
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	w.Close()
	errW.Close()
	if err != nil {
		return err
	}
	go cmd.Wait()
	stderr := make(chan string, 1)
	go func() {
		data, _ := io.ReadAll(io.LimitReader(errR, maxChildStderr))
		stderr <- strings.TrimSpace(string(data))
		_, _ = io.Copy(io.Discard, errR) // never block the child on a full pipe
	}()
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		lines <- strings.TrimSpace(line)
	}()
	select {
	case line := <-lines:
		if line == "ready" {
			return nil
		}
		msg := fmt.Sprintf("the sealfs daemon exited before mounting; see %s", logFile)
		if strings.HasPrefix(line, "error: ") {
			msg = strings.TrimPrefix(line, "error: ")
		}
		select {
		case text := <-stderr:
			// The child's own "sealfs: error" line repeats msg.
			repeat := "sealfs: " + msg
			for _, l := range strings.Split(text, "\n") {
				if l = strings.TrimSpace(l); l != "" && l != repeat {
					msg += "\n" + l
				}
			}
		case <-time.After(2 * time.Second):
		}
		return errors.New(msg)
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		return fmt.Errorf("the mount was not ready after 2 minutes; see %s", logFile)
	}
}

// maxChildStderr bounds what the parent keeps of the child's stderr.
const maxChildStderr = 16 << 10

// childArgs returns this command line's arguments after the "mount"
// command, which the daemonized child repeats.
func childArgs() []string {
	for i, a := range os.Args {
		if a == "mount" {
			return os.Args[i+1:]
		}
	}
	return nil
}

// readiness reports the mount's outcome to a waiting parent, if there is
// one. wasActive stays true after the report: the process is a daemon.
type readiness struct {
	f         *os.File
	wasActive bool
}

// readinessPipe takes the pipe to a waiting parent, if there is one. The
// descriptor is made close-on-exec at once, so that no program this process
// starts (a key command, fusermount) inherits it and holds the parent.
func readinessPipe() *readiness {
	fd, err := strconv.Atoi(os.Getenv(readyFDEnv))
	if err != nil || fd < 3 {
		return &readiness{}
	}
	os.Unsetenv(readyFDEnv)
	syscall.CloseOnExec(fd)
	return &readiness{f: os.NewFile(uintptr(fd), "ready"), wasActive: true}
}

// active reports whether a parent is still waiting for the outcome.
func (r *readiness) active() bool { return r.f != nil }

// ok tells the parent that the mount is ready.
func (r *readiness) ok() {
	if r.f != nil {
		fmt.Fprintln(r.f, "ready")
		r.f.Close()
		r.f = nil
	}
}

// fail tells the parent why the mount failed.
func (r *readiness) fail(err error) {
	if r.f != nil {
		fmt.Fprintf(r.f, "error: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		r.f.Close()
		r.f = nil
	}
}
