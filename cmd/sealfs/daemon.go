package main

import (
	"bufio"
	"errors"
	"fmt"
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
func daemonize(cfg *config) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	logFile := cfg.LogFile
	if logFile == "" {
		if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
			return fmt.Errorf("state dir: %w", err)
		}
		logFile = filepath.Join(cfg.StateDir, "sealfs.log")
	}
	args := append([]string{"mount", "--foreground", "--log-file", logFile}, childArgs()...)
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), readyFDEnv+"=3")
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return err
	}
	w.Close()
	go cmd.Wait()
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		lines <- strings.TrimSpace(line)
	}()
	select {
	case line := <-lines:
		switch {
		case line == "ready":
			return nil
		case strings.HasPrefix(line, "error: "):
			return errors.New(strings.TrimPrefix(line, "error: "))
		}
		return fmt.Errorf("the sealfs daemon exited before mounting; see %s", logFile)
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		return fmt.Errorf("the mount was not ready after 2 minutes; see %s", logFile)
	}
}

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

// readiness reports the mount's outcome to a waiting parent, if there is one.
type readiness struct{ f *os.File }

func readinessPipe() readiness {
	fd, err := strconv.Atoi(os.Getenv(readyFDEnv))
	if err != nil {
		return readiness{}
	}
	os.Unsetenv(readyFDEnv)
	return readiness{f: os.NewFile(uintptr(fd), "ready")}
}

func (r readiness) ok() {
	if r.f != nil {
		fmt.Fprintln(r.f, "ready")
		r.f.Close()
	}
}

func (r readiness) fail(err error) {
	if r.f != nil {
		fmt.Fprintf(r.f, "error: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		r.f.Close()
	}
}
