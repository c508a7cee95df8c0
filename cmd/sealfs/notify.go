package main

import (
	"log/slog"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// notifier speaks systemd's sd_notify protocol (Type=notify) when
// NOTIFY_SOCKET is set, and does nothing otherwise.
type notifier struct {
	logger *slog.Logger
}

// send sends state lines ("READY=1", "STATUS=…") in one datagram. A
// failure is logged, never fatal: the mount serves either way.
func (n notifier) send(state string) {
	if _, err := daemon.SdNotify(false, state); err != nil {
		n.logger.Warn("systemd notification failed", "err", err)
	}
}

// watchdogInterval returns how often to send WATCHDOG=1 (half of
// WatchdogSec=), or 0 when systemd does not watch this process.
func (n notifier) watchdogInterval() time.Duration {
	d, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		n.logger.Warn("systemd watchdog settings unreadable; not sending keep-alives", "err", err)
		return 0
	}
	return d / 2
}
