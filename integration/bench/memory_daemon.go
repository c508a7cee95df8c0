package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// sealfsFSType is the type a sealfs mount shows in /proc/self/mountinfo.
const sealfsFSType = "fuse.sealfs"

// sealfsReadyLine is what sealfs logs once it serves the mount and handles
// SIGTERM. The kernel shows the mount a little earlier; a SIGTERM in
// between kills sealfs while it holds a file of its own mount open, which
// leaves an unkillable process and a dead mount.
var sealfsReadyLine = []byte("msg=mounted ")

// readyPollInterval is how often the daemon's log is read for the ready line.
const readyPollInterval = 2 * time.Millisecond

// startSealfsDaemon runs "binary args..." (a foreground sealfs mount) with
// the scrubbed environment and waits until mountpoint shows up as sealfs and
// sealfs has logged that it is ready. env(1) execs sealfs, so the process
// id is the daemon's own.
func startSealfsDaemon(ctx context.Context, name, logPath, mountpoint, binary string, args ...string) (*daemon, error) {
	command, fullArgs := withoutScrubbed(os.Environ(), binary, args...)
	d, err := startDaemon(ctx, name, logPath, mountpoint, sealfsFSType, []int{0}, command, fullArgs...)
	if err != nil {
		return nil, err
	}
	if err := waitLogged(ctx, d, sealfsReadyLine); err != nil {
		return nil, errors.Join(err, d.stop())
	}
	return d, nil
}

// waitLogged polls the daemon's log until it contains line, the daemon
// exits, or mountTimeout passes.
func waitLogged(ctx context.Context, d *daemon, line []byte) error {
	ctx, cancel := context.WithTimeout(ctx, mountTimeout)
	defer cancel()
	for {
		data, err := os.ReadFile(d.logPath)
		if err != nil {
			return fmt.Errorf("%s log: %w", d.name, err)
		}
		if bytes.Contains(data, line) {
			return nil
		}
		select {
		case <-d.exited:
			return fmt.Errorf("%s: %w: %v\n%s", d.name, errDaemonExited, d.waitErr, d.logTail())
		case <-ctx.Done():
			return fmt.Errorf("%s: waiting for %q in its log: %w\n%s", d.name, line, ctx.Err(), d.logTail())
		case <-time.After(readyPollInterval):
		}
	}
}
