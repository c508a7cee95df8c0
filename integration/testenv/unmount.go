package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"time"

	"golang.org/x/sys/unix"
)

// unmountAttempts bounds how often Unmount retries a busy mount.
const unmountAttempts = 20

// unmountRetryDelay is the pause between two attempts on a busy mount.
const unmountRetryDelay = 100 * time.Millisecond

// errBusy marks an unmount refused because the mount is still in use.
var errBusy = errors.New("mount busy")

// Unmount unmounts the FUSE mount at mountpoint with "fusermount3 -u",
// falling back to umount(2) (which needs root) when that fails. A busy mount
// is retried a bounded number of times before Unmount gives up.
func Unmount(mountpoint string) error {
	var err error
	for attempt := 0; attempt < unmountAttempts; attempt++ {
		if attempt > 0 {
			time.Sleep(unmountRetryDelay)
		}
		err = unmountOnce(mountpoint)
		if !errors.Is(err, errBusy) {
			return err
		}
	}
	return fmt.Errorf("unmounting %s: gave up after %d attempts: %w", mountpoint, unmountAttempts, err)
}

// unmountOnce makes one attempt with fusermount3, then with umount(2).
func unmountOnce(mountpoint string) error {
	fuseErr := fusermountUnmount(mountpoint)
	if fuseErr == nil {
		return nil
	}
	sysErr := unix.Unmount(mountpoint, 0)
	if sysErr == nil {
		return nil
	}
	if errors.Is(sysErr, unix.EBUSY) || errors.Is(fuseErr, errBusy) {
		return fmt.Errorf("unmounting %s: %w", mountpoint, errors.Join(errBusy, fuseErr, sysErr))
	}
	return fmt.Errorf("unmounting %s: %w", mountpoint, errors.Join(fuseErr, fmt.Errorf("umount(2): %w", sysErr)))
}

// fusermountUnmount runs "fusermount3 -u mountpoint"; its error wraps errBusy
// when fusermount3 says the mount is busy.
func fusermountUnmount(mountpoint string) error {
	output, err := exec.Command("fusermount3", "-u", mountpoint).CombinedOutput()
	if err == nil {
		return nil
	}
	message := bytes.TrimSpace(output)
	if bytes.Contains(output, []byte("busy")) {
		return fmt.Errorf("fusermount3 -u: %w: %s", errBusy, message)
	}
	return fmt.Errorf("fusermount3 -u: %w: %s", err, message)
}
