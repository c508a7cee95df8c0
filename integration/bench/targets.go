package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Target names accepted by -targets.
const (
	targetPlain     = "plain"
	targetSealfs    = "sealfs"
	targetGocryptfs = "gocryptfs"
)

// knownTargets lists every target in the order used when all are asked for.
var knownTargets = []string{targetPlain, targetSealfs, targetGocryptfs}

// mountDirName is the mount point of a FUSE target, inside its directory.
const mountDirName = "mnt"

// sealfsKeyID is the key id of the bench's throwaway sealfs key.
const sealfsKeyID = "1"

// gocryptfsSignalExit is gocryptfs's exit code after SIGINT or SIGTERM.
const gocryptfsSignalExit = 15

// target is one filesystem under test: the directory the workloads use and,
// for FUSE targets, the daemon that serves it.
type target struct {
	name   string
	dir    string
	daemon *daemon      // nil for plain
	minio  *minioServer // sealfs-s3 only: stopped after the daemon
}

// parseTargets splits a -targets value, refusing unknown or repeated names.
func parseTargets(list string) ([]string, error) {
	var names []string
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		switch {
		case !slices.Contains(knownTargets, name) && !slices.Contains(orthancOnlyTargets, name):
			return nil, fmt.Errorf("unknown target %q (known: %s)", name, strings.Join(knownTargets, ", "))
		case slices.Contains(names, name):
			return nil, fmt.Errorf("target %q named twice", name)
		}
		names = append(names, name)
	}
	return names, nil
}

// setUpTarget prepares the target called name in the empty directory base
// and, for FUSE targets, mounts it. sealfsBinary is used only for sealfs.
func setUpTarget(ctx context.Context, name, base, sealfsBinary string) (*target, error) {
	switch name {
	case targetPlain:
		return &target{name: name, dir: base}, nil
	case targetSealfs:
		return setUpSealfs(ctx, base, sealfsBinary)
	case targetGocryptfs:
		return setUpGocryptfs(ctx, base)
	case targetSealfsS3:
		return setUpSealfsOverMinIO(ctx, base, sealfsBinary)
	}
	return nil, fmt.Errorf("unknown target %q", name)
}

// setUpSealfs makes a key, a local store and a state directory, and mounts
// sealfs in the foreground.
func setUpSealfs(ctx context.Context, base, binary string) (*target, error) {
	keyPath := filepath.Join(base, "kek")
	store, state, mountpoint := filepath.Join(base, "store"), filepath.Join(base, "state"), filepath.Join(base, mountDirName)
	if err := makeDirs(store, state, mountpoint); err != nil {
		return nil, err
	}
	if err := runQuiet(ctx, binary, "keygen", "--id", sealfsKeyID, keyPath); err != nil {
		return nil, err
	}
	d, err := startDaemon(ctx, targetSealfs, filepath.Join(base, "sealfs.log"), mountpoint, "fuse.sealfs", []int{0},
		binary, "mount", "--foreground", "--key", keyPath, "--key-id", sealfsKeyID, "--state-dir", state, store, mountpoint)
	if err != nil {
		return nil, err
	}
	return &target{name: targetSealfs, dir: mountpoint, daemon: d}, nil
}

// setUpGocryptfs initialises a gocryptfs cipher directory with a random
// password and mounts it in the foreground (-fg, so that its peak memory can
// be read; the daemonised form runs the same code in a child).
func setUpGocryptfs(ctx context.Context, base string) (*target, error) {
	passfile := filepath.Join(base, "password")
	cipher, mountpoint := filepath.Join(base, "cipher"), filepath.Join(base, mountDirName)
	if err := makeDirs(cipher, mountpoint); err != nil {
		return nil, err
	}
	var password [32]byte
	if _, err := rand.Read(password[:]); err != nil {
		return nil, fmt.Errorf("gocryptfs password: %w", err)
	}
	if err := os.WriteFile(passfile, []byte(hex.EncodeToString(password[:])+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("gocryptfs password: %w", err)
	}
	if err := runQuiet(ctx, "gocryptfs", "-init", "-q", "-passfile", passfile, cipher); err != nil {
		return nil, err
	}
	d, err := startDaemon(ctx, targetGocryptfs, filepath.Join(base, "gocryptfs.log"), mountpoint, "fuse.gocryptfs",
		[]int{0, gocryptfsSignalExit},
		"gocryptfs", "-fg", "-q", "-nosyslog", "-passfile", passfile, cipher, mountpoint)
	if err != nil {
		return nil, err
	}
	return &target{name: targetGocryptfs, dir: mountpoint, daemon: d}, nil
}

// makeDirs creates each directory, which must not exist yet.
func makeDirs(dirs ...string) error {
	for _, dir := range dirs {
		if err := os.Mkdir(dir, 0o700); err != nil {
			return err
		}
	}
	return nil
}

// runQuiet runs a command and returns its output inside the error if it fails.
func runQuiet(ctx context.Context, name string, args ...string) error {
	output, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, args[0], err, bytes.TrimSpace(output))
	}
	return nil
}
