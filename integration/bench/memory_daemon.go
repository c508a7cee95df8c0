package main

import (
	"context"
	"os"
)

// sealfsFSType is the type a sealfs mount shows in /proc/self/mountinfo.
const sealfsFSType = "fuse.sealfs"

// startSealfsDaemon runs "binary args..." (a foreground sealfs mount) with
// the scrubbed environment and waits for mountpoint to show up as sealfs.
// env(1) execs sealfs, so the process id is the daemon's own.
func startSealfsDaemon(ctx context.Context, name, logPath, mountpoint, binary string, args ...string) (*daemon, error) {
	command, fullArgs := withoutScrubbed(os.Environ(), binary, args...)
	return startDaemon(ctx, name, logPath, mountpoint, sealfsFSType, []int{0}, command, fullArgs...)
}
