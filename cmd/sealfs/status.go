package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sealfs/sealfs/keyring"
)

// statusReport is what "sealfs status" shows. The daemon answers it on a
// unix socket in its state dir rather than on the metrics endpoint: the
// socket exists whether or not metrics are configured, is reachable only
// by whoever may enter the state dir (0700), and may name paths, which
// metrics never do.
type statusReport struct {
	Mounted           bool           `json:"mounted"`
	Mountpoint        string         `json:"mountpoint"`
	Store             string         `json:"store,omitempty"`
	PID               int            `json:"pid,omitempty"`
	Since             time.Time      `json:"since,omitzero"`
	WriteBack         bool           `json:"write_back"`
	Queued            int            `json:"queued"`
	OldestAgeSeconds  float64        `json:"oldest_age_seconds"`
	Keys              []keyStatus    `json:"keys,omitempty"`
	IntegrityFailures int64          `json:"integrity_failures"`
	UnwrapFailures    int64          `json:"unwrap_failures"`
	WriteConflicts    int64          `json:"write_conflicts"`
	MemoryBudget      int64          `json:"memory_budget_bytes"` // 0: unlimited
	MemoryInUse       int64          `json:"memory_in_use_bytes"`
	MemoryPeak        int64          `json:"memory_peak_bytes"`
	Devices           []deviceStatus `json:"devices,omitempty"`
	Error             string         `json:"error,omitempty"`
}

// report describes the running mount.
func (s *service) report() statusReport {
	info := s.info
	r := statusReport{
		Mounted: true, Mountpoint: info.Mountpoint, Store: info.Store, PID: os.Getpid(), Since: info.Since,
		Keys:              info.Keys,
		IntegrityFailures: int64(s.metrics.auditCount(keyring.IntegrityFailed)),
		UnwrapFailures:    int64(s.metrics.auditCount(keyring.UnwrapFailed)),
		WriteConflicts:    int64(s.metrics.auditCount(keyring.WriteConflict)),
	}
	if info.WriteBack != nil {
		st := info.WriteBack.Stats()
		r.WriteBack, r.Queued, r.OldestAgeSeconds = true, st.Queued, oldestAge(st).Seconds()
	}
	if info.Budget != nil {
		r.MemoryBudget, r.MemoryInUse, r.MemoryPeak = info.Budget.Size(), info.Budget.InUse(), info.Budget.Peak()
	}
	if info.StoreDir != "" {
		r.Devices = append(r.Devices, deviceOf("store", info.StoreDir))
	}
	for _, d := range []struct{ role, path string }{
		{"state", info.StateDir},
		{"staging", filepath.Join(info.StateDir, "staging")},
		{"pending", filepath.Join(info.StateDir, "pending")},
		{"cache", filepath.Join(info.StateDir, "spool")},
	} {
		if _, err := os.Stat(d.path); err == nil {
			r.Devices = append(r.Devices, deviceOf(d.role, d.path))
		}
	}
	return r
}

// listenStatusSocket creates the status socket, owner-only, replacing one
// left by a daemon that died.
func listenStatusSocket(stateDir string) (net.Listener, error) {
	path := statusSocketPath(stateDir)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("status socket: %w", err)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("status socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("status socket: %w", err)
	}
	return l, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "show whether a sealfs mount is up and how it is doing",
		ArgsUsage: "[MOUNTPOINT]",
		Description: `Asks the daemon serving MOUNTPOINT (through the socket status.sock in its state
dir) and prints: mounted or not, the store, the write-back queue and the age of
its oldest change, the key ids loaded and their state (never key material),
integrity failures since the mount, memory, and whether the store (local tier),
state dir, staging and cache sit on a dm-crypt/LUKS device. Give the same
--config or --state-dir as the mount. Exits 1 when the mount is not served.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "the mount's JSON config `FILE`"},
			&cli.StringFlag{Name: "state-dir", Usage: "the mount's state `DIR` (default: from the config, else named after MOUNTPOINT)"},
			&cli.BoolFlag{Name: "json", Usage: "print the report as JSON, for scripts"},
		},
		Action: func(c *cli.Context) error {
			mountpoint, stateDir, err := statusTarget(c)
			if err != nil {
				return err
			}
			r := queryStatus(c.Context, mountpoint, stateDir)
			if c.Bool("json") {
				enc := json.NewEncoder(c.App.Writer)
				enc.SetIndent("", "  ")
				enc.Encode(r)
			} else {
				printStatus(c.App.Writer, r)
			}
			if !r.Mounted || r.Error != "" {
				return cli.Exit("", 1)
			}
			return nil
		},
	}
}

// statusTarget finds the mount point and state dir the way mount does.
func statusTarget(c *cli.Context) (mountpoint, stateDir string, err error) {
	cfg := &config{}
	if path := c.String("config"); path != "" {
		if cfg, err = loadConfig(path); err != nil {
			return "", "", err
		}
	}
	if c.NArg() > 1 {
		return "", "", errors.New("status: want at most one MOUNTPOINT")
	}
	if c.NArg() == 1 {
		cfg.Mountpoint = c.Args().First()
	}
	if v := c.String("state-dir"); v != "" {
		cfg.StateDir = v
	}
	if cfg.Mountpoint == "" {
		return "", "", errors.New("status: no MOUNTPOINT given (or --config with a mountpoint)")
	}
	if mountpoint, err = filepath.Abs(cfg.Mountpoint); err != nil {
		return "", "", err
	}
	stateDir = cfg.StateDir
	if stateDir == "" {
		stateDir = defaultStateDir(mountpoint)
	}
	stateDir, err = filepath.Abs(stateDir)
	return mountpoint, stateDir, err
}

// queryStatus asks the daemon; a daemon that does not answer means the
// mount is not served.
func queryStatus(ctx context.Context, mountpoint, stateDir string) statusReport {
	sock := statusSocketPath(stateDir)
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://sealfs/status", nil)
	if err != nil {
		return statusReport{Mountpoint: mountpoint, Error: err.Error()}
	}
	resp, err := client.Do(req)
	if err != nil {
		r := statusReport{Mountpoint: mountpoint, Error: fmt.Sprintf("no sealfs daemon answers at %s: %v", sock, err)}
		if sealfsMounted(selfMountinfo, mountpoint) {
			// Mounted, but not by a daemon we can ask: another state
			// dir, or a daemon that is hung.
			r.Mounted = true
		}
		return r
	}
	defer resp.Body.Close()
	var r statusReport
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&r); err != nil {
		return statusReport{Mountpoint: mountpoint, Error: fmt.Sprintf("reading the status from %s: %v", sock, err)}
	}
	if r.Mountpoint != mountpoint {
		return statusReport{Mountpoint: mountpoint, Error: fmt.Sprintf("the daemon at %s serves %s, not %s", sock, r.Mountpoint, mountpoint)}
	}
	return r
}

func printStatus(w io.Writer, r statusReport) {
	if r.Mounted && r.Error != "" {
		fmt.Fprintf(w, "%s: mounted (fuse.sealfs in the mount table), but %s (wrong --state-dir or --config? a hung daemon?)\n", r.Mountpoint, r.Error)
		return
	}
	if !r.Mounted {
		fmt.Fprintf(w, "%s: not mounted\n", r.Mountpoint)
		if r.Error != "" {
			fmt.Fprintf(w, "  %s\n", r.Error)
		}
		return
	}
	fmt.Fprintf(w, "%s: mounted (pid %d, since %s)\n", r.Mountpoint, r.PID, r.Since.Format(time.RFC3339))
	fmt.Fprintf(w, "  store:        %s\n", r.Store)
	if r.WriteBack {
		fmt.Fprintf(w, "  write-back:   %d pending upload(s)", r.Queued)
		if r.Queued > 0 {
			fmt.Fprintf(w, ", oldest acknowledged %s ago", (time.Duration(r.OldestAgeSeconds * float64(time.Second))).Round(time.Second))
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "  write-back:   off (close and fsync wait for the store)\n")
	}
	keys := make([]string, 0, len(r.Keys))
	for _, k := range r.Keys {
		keys = append(keys, fmt.Sprintf("%d (%s)", k.ID, k.State))
	}
	fmt.Fprintf(w, "  keys:         %s\n", strings.Join(keys, ", "))
	fmt.Fprintf(w, "  failures:     %d integrity, %d unwrap, %d write conflicts (since the mount; see the audit log)\n", r.IntegrityFailures, r.UnwrapFailures, r.WriteConflicts)
	if r.MemoryBudget > 0 {
		fmt.Fprintf(w, "  memory:       %d of %d budget bytes in use, peak %d\n", r.MemoryInUse, r.MemoryBudget, r.MemoryPeak)
	} else {
		fmt.Fprintf(w, "  memory:       no budget set (memory_budget)\n")
	}
	if len(r.Devices) > 0 {
		fmt.Fprintf(w, "  at rest:\n")
	}
	for _, d := range r.Devices {
		fmt.Fprintf(w, "    %-9s %s: %s\n", d.Role, d.Path, d.describe())
	}
}

// sealfsMounted reports whether the mount table at path shows a
// fuse.sealfs mount at mountpoint.
func sealfsMounted(path, mountpoint string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		for i, f := range fields {
			if f == "-" && i >= 5 && i+1 < len(fields) {
				if fields[i+1] == "fuse.sealfs" && unescapeMountinfo(fields[4]) == mountpoint {
					return true
				}
				break
			}
		}
	}
	return false
}
