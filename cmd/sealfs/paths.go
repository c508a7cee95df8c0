package main

import (
	"os"
	"path/filepath"
	"strings"
)

// dataDir is where the embedded default keeps its store and development
// key: $XDG_DATA_HOME/sealfs (~/.local/share/sealfs), or /var/lib/sealfs
// for root.
func dataDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/sealfs"
	}
	if d := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "sealfs")
	}
	return filepath.Join(homeDir(), ".local", "share", "sealfs")
}

// stateBase is where per-mount state dirs live by default:
// $XDG_STATE_HOME/sealfs (~/.local/state/sealfs), or /var/lib/sealfs/state
// for root.
func stateBase() string {
	if os.Geteuid() == 0 {
		return "/var/lib/sealfs/state"
	}
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "sealfs")
	}
	return filepath.Join(homeDir(), ".local", "state", "sealfs")
}

func homeDir() string {
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	return os.TempDir()
}

// defaultStateDir names a mount's state dir after its mount point, the way
// systemd-escape names mount units: /srv/orthanc/storage → srv-orthanc-storage.
func defaultStateDir(mountpoint string) string {
	name := strings.ReplaceAll(strings.Trim(filepath.Clean(mountpoint), "/"), "-", `\x2d`)
	name = strings.ReplaceAll(name, "/", "-")
	if name == "" {
		name = "-"
	}
	return filepath.Join(stateBase(), name)
}
