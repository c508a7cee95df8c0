package main

import (
	"log/slog"

	"golang.org/x/sys/cpu"
	"golang.org/x/sys/unix"
)

// harden keeps key material out of core dumps and away from ptrace by
// other users, and warns when AES runs without hardware support (slow, and
// more exposed to timing side channels).
func harden(log *slog.Logger) {
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}); err != nil {
		log.Warn("could not disable core dumps", "err", err)
	}
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		log.Warn("could not mark the process non-dumpable", "err", err)
	}
	if !hasAESHardware() {
		log.Warn("this CPU has no AES instructions (AES-NI/ARMv8 AES): encryption will be slow")
	}
}

func hasAESHardware() bool {
	return (cpu.X86.HasAES && cpu.X86.HasPCLMULQDQ) || (cpu.ARM64.HasAES && cpu.ARM64.HasPMULL)
}
