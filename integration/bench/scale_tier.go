package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sealfs/sealfs/integration/testenv"
)

// scaleTier is one sealfs mount of -scale, remounted as the run goes, with
// a fresh or a kept state directory.
type scaleTier struct {
	name       string
	base       string
	binary     string
	mountpoint string
	args       func(stateDir string) []string // the mount command line after the binary
	proxy      *countingProxy                 // nil on the local tier: no requests to count
	daemon     *daemon                        // nil while unmounted
	stateDir   string
	mounts     int // for the log file names
}

// newLocalScaleTier prepares sealfs on a local directory store in base.
func newLocalScaleTier(ctx context.Context, base, binary string) (*scaleTier, error) {
	keyPath, store := filepath.Join(base, "kek"), filepath.Join(base, "store")
	t := &scaleTier{name: scaleTierLocal, base: base, binary: binary, mountpoint: filepath.Join(base, mountDirName)}
	if err := makeDirs(store, t.mountpoint); err != nil {
		return nil, err
	}
	if err := runQuiet(ctx, binary, "keygen", "--id", sealfsKeyID, keyPath); err != nil {
		return nil, err
	}
	t.args = func(stateDir string) []string {
		return []string{"mount", "--foreground", "--key", keyPath, "--key-id", sealfsKeyID, "--state-dir", stateDir, store, t.mountpoint}
	}
	return t, t.freshStateDir()
}

// newS3ScaleTier prepares sealfs on the bench bucket of m, reached through
// proxy, with its credentials in a config file in base.
func newS3ScaleTier(ctx context.Context, base, binary string, proxy *countingProxy, m *minioServer) (*scaleTier, error) {
	keyPath, configPath := filepath.Join(base, "kek"), filepath.Join(base, "config.json")
	t := &scaleTier{name: scaleTierS3, base: base, binary: binary, mountpoint: filepath.Join(base, mountDirName), proxy: proxy}
	if err := makeDirs(t.mountpoint); err != nil {
		return nil, err
	}
	if err := runQuiet(ctx, binary, "keygen", "--id", sealfsKeyID, keyPath); err != nil {
		return nil, err
	}
	cfg := sealfsS3Config{
		Store:    sealfsStoreURL(proxy.endpoint()),
		S3:       sealfsS3Section{AccessKey: m.accessKey, SecretKey: m.secretKey},
		Keys:     []sealfsKeyConfig{{ID: 1, State: "current", File: keyPath}},
		StateDir: filepath.Join(base, "unused-state"), // --state-dir wins
	}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("sealfs config: %w", err)
	}
	if err := os.WriteFile(configPath, data, 0o600); err != nil {
		return nil, fmt.Errorf("sealfs config: %w", err)
	}
	t.args = func(stateDir string) []string {
		return []string{"mount", "--foreground", "--config", configPath, "--state-dir", stateDir, t.mountpoint}
	}
	return t, t.freshStateDir()
}

// freshStateDir replaces the state directory with a new, empty one (a cold
// metadata cache). The tier must be unmounted.
func (t *scaleTier) freshStateDir() error {
	if t.stateDir != "" {
		if err := os.RemoveAll(t.stateDir); err != nil {
			return fmt.Errorf("removing the state directory: %w", err)
		}
	}
	t.stateDir = filepath.Join(t.base, "state-"+strconv.Itoa(t.mounts))
	if err := os.Mkdir(t.stateDir, 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	return nil
}

// mount starts sealfs and returns a row timing it from the start of the
// command to the mount being ready, with the requests it sent.
func (t *scaleTier) mount(ctx context.Context, phase string) (scaleRow, error) {
	t.mounts++
	logPath := filepath.Join(t.base, fmt.Sprintf("sealfs-%d.log", t.mounts))
	t.take()
	start := time.Now()
	d, err := startSealfsDaemon(ctx, "sealfs-"+t.name, logPath, t.mountpoint, t.binary, t.args(t.stateDir)...)
	spent := time.Since(start)
	if err != nil {
		return scaleRow{}, err
	}
	t.daemon = d
	return scaleRow{phase: phase, ops: 1, spent: spent, counts: t.take()}, nil
}

// unmount stops the daemon, if any; sealfs uploads everything before it
// exits.
func (t *scaleTier) unmount() error {
	if t.daemon == nil {
		return nil
	}
	d := t.daemon
	t.daemon = nil
	return d.stop()
}

// take returns the requests counted since the last take (nil on the local
// tier).
func (t *scaleTier) take() requestCounts {
	if t.proxy == nil {
		return nil
	}
	return t.proxy.take()
}

// probe drops the kernel's caches (so that every lookup reaches sealfs) and
// runs p, timing it and counting its requests.
func (t *scaleTier) probe(ctx context.Context, p scaleProbe, temperature string) (scaleRow, error) {
	testenv.DropCaches()
	t.take()
	start := time.Now()
	err := p.run(ctx, t.mountpoint)
	spent := time.Since(start)
	counts := t.take()
	if err != nil {
		return scaleRow{}, fmt.Errorf("%s, %s: %w", p.name, temperature, err)
	}
	return scaleRow{phase: p.name + ", " + temperature, ops: p.ops, spent: spent, counts: counts}, nil
}
