package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// Target names of the S3 comparison, in the order they run.
const (
	targetRclone = "rclone"
	targetS3fs   = "s3fs"
)

// s3Targets lists the S3 comparison's targets in the order they run.
var s3Targets = []string{targetSealfs, targetRclone, targetS3fs}

// Buckets and prefixes of the S3 comparison: sealfs and rclone share a
// bucket under different prefixes; s3fs gets a bucket of its own, since it
// mounts a whole bucket.
const (
	benchBucket  = "bench"
	sealfsPrefix = "sealfs"
	rclonePrefix = "rclone"
	s3fsBucket   = "bench-s3fs"
)

// s3fsCleanExits lists the exit codes of s3fs after SIGTERM.
var s3fsCleanExits = []int{0}

// sealfsS3Config is the part of sealfs's JSON config file the bench writes.
type sealfsS3Config struct {
	Store    string            `json:"store"`
	S3       sealfsS3Section   `json:"s3"`
	Keys     []sealfsKeyConfig `json:"keys"`
	StateDir string            `json:"state_dir"`
}

// sealfsS3Section holds the credentials of sealfs's config file.
type sealfsS3Section struct {
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
}

// sealfsKeyConfig names one key file in sealfs's config file.
type sealfsKeyConfig struct {
	ID    int    `json:"id"`
	State string `json:"state"`
	File  string `json:"file"`
}

// sealfsStoreURL is the s3:// store URL of sealfs at endpoint.
func sealfsStoreURL(endpoint string) string {
	query := url.Values{"endpoint": {endpoint}, "path-style": {"true"}}
	return "s3://" + benchBucket + "/" + sealfsPrefix + "?" + query.Encode()
}

// setUpSealfsS3 makes a key and a config file and mounts sealfs on the
// bucket behind endpoint (the counting proxy in front of m).
func setUpSealfsS3(ctx context.Context, base, binary, endpoint string, m *minioServer) (*target, error) {
	keyPath, configPath := filepath.Join(base, "kek"), filepath.Join(base, "config.json")
	state, mountpoint := filepath.Join(base, "state"), filepath.Join(base, mountDirName)
	if err := makeDirs(state, mountpoint); err != nil {
		return nil, err
	}
	if err := runQuiet(ctx, binary, "keygen", "--id", sealfsKeyID, keyPath); err != nil {
		return nil, err
	}
	cfg := sealfsS3Config{
		Store:    sealfsStoreURL(endpoint),
		S3:       sealfsS3Section{AccessKey: m.accessKey, SecretKey: m.secretKey},
		Keys:     []sealfsKeyConfig{{ID: 1, State: "current", File: keyPath}},
		StateDir: state,
	}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("sealfs config: %w", err)
	}
	if err := os.WriteFile(configPath, data, 0o600); err != nil {
		return nil, fmt.Errorf("sealfs config: %w", err)
	}
	command, args := withoutScrubbed(os.Environ(), binary, "mount", "--foreground", "--config", configPath, mountpoint)
	d, err := startDaemon(ctx, targetSealfs, filepath.Join(base, "sealfs.log"), mountpoint, "fuse.sealfs", []int{0}, command, args...)
	if err != nil {
		return nil, err
	}
	return &target{name: targetSealfs, dir: mountpoint, daemon: d}, nil
}

// setUpS3fs writes a password file and mounts s3fs (unencrypted) on its own
// bucket of m, reached at endpoint, in the foreground.
func setUpS3fs(ctx context.Context, base, endpoint string, m *minioServer) (*target, error) {
	passwd, mountpoint := filepath.Join(base, "passwd"), filepath.Join(base, mountDirName)
	if err := makeDirs(mountpoint); err != nil {
		return nil, err
	}
	if err := os.WriteFile(passwd, []byte(m.accessKey+":"+m.secretKey+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("s3fs password file: %w", err)
	}
	command, args := withoutScrubbed(os.Environ(), "s3fs", s3fsBucket, mountpoint, "-f",
		"-o", "passwd_file="+passwd+",url="+endpoint+",use_path_request_style")
	d, err := startDaemon(ctx, targetS3fs, filepath.Join(base, "s3fs.log"), mountpoint, "fuse.s3fs", s3fsCleanExits, command, args...)
	if err != nil {
		return nil, err
	}
	return &target{name: targetS3fs, dir: mountpoint, daemon: d}, nil
}

// randomHex returns n random bytes in hex, for throwaway passwords.
func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random password: %w", err)
	}
	return hex.EncodeToString(b), nil
}
