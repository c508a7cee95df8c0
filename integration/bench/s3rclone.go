package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// rclonePollInterval is how often the bench asks rclone whether its
// uploads are done.
const rclonePollInterval = 10 * time.Millisecond

// rcloneMaxStatsBytes bounds the answer of rclone's core/stats.
const rcloneMaxStatsBytes = 1 << 20

// rcloneCleanExits lists the exit codes of rclone mount after SIGTERM.
var rcloneCleanExits = []int{0, 143}

// errRcloneStats reports an answer of rclone's remote control that the
// bench cannot use.
var errRcloneStats = errors.New("unusable rclone core/stats answer")

// rcloneMount is rclone mounting a crypt remote over an s3 remote on MinIO,
// with its remote-control API on loopback so that the bench can tell when
// its uploads are done (rclone uploads after close and ignores fsync).
type rcloneMount struct {
	target     *target
	base       string
	configPath string
	cacheDir   string
	rcAddr     string // 127.0.0.1:PORT
	mounts     int    // how many times it was mounted, to name its logs
	client     *http.Client
}

// rcloneStats is the part of core/stats the bench reads.
type rcloneStats struct {
	Transfers int64 `json:"transfers"` // completed transfers
	Errors    int64 `json:"errors"`
}

// writeRcloneConfig writes an rclone config file into base with an s3
// remote "base" on m reached at endpoint and a crypt remote "sec" under
// bench/rclone, with a random password.
func writeRcloneConfig(ctx context.Context, base, endpoint string, m *minioServer) (string, error) {
	password, err := randomHex(32)
	if err != nil {
		return "", err
	}
	obscured, err := rcloneOutput(ctx, "obscure", password)
	if err != nil {
		return "", err
	}
	config := strings.Join([]string{
		"[base]", "type = s3", "provider = Minio", "env_auth = false",
		"access_key_id = " + m.accessKey, "secret_access_key = " + m.secretKey,
		"endpoint = " + endpoint, "",
		"[sec]", "type = crypt", "remote = base:" + benchBucket + "/" + rclonePrefix,
		"password = " + strings.TrimSpace(obscured), "",
	}, "\n")
	path := filepath.Join(base, "rclone.conf")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		return "", fmt.Errorf("rclone config: %w", err)
	}
	return path, nil
}

// makeBuckets creates the S3 comparison's buckets with rclone.
func makeBuckets(ctx context.Context, configPath string) error {
	for _, bucket := range []string{benchBucket, s3fsBucket} {
		if _, err := rcloneOutput(ctx, "--config", configPath, "mkdir", "base:"+bucket); err != nil {
			return err
		}
	}
	return nil
}

// rcloneOutput runs rclone without the scrubbed variables and returns its
// standard output. The arguments are not repeated in errors (obscure takes
// a password).
func rcloneOutput(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "rclone", args...)
	cmd.Env = scrubbedEnv(os.Environ())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("rclone %s: %w\n%s", args[0], err, bytes.TrimSpace(stderr.Bytes()))
	}
	return string(out), nil
}

// setUpRclone mounts the crypt remote in base/mnt with the write cache in
// base/cache. configPath is the file writeRcloneConfig wrote.
func setUpRclone(ctx context.Context, base, configPath string) (*rcloneMount, error) {
	ports, err := freePorts(1)
	if err != nil {
		return nil, err
	}
	r := &rcloneMount{
		target:     &target{name: targetRclone, dir: filepath.Join(base, mountDirName)},
		base:       base,
		configPath: configPath,
		cacheDir:   filepath.Join(base, "cache"),
		rcAddr:     "127.0.0.1:" + strconv.Itoa(ports[0]),
		client:     &http.Client{Timeout: 10 * time.Second},
	}
	if err := makeDirs(r.target.dir, r.cacheDir); err != nil {
		return nil, err
	}
	if err := r.mount(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// mount starts rclone mount in the foreground and waits for the mount.
func (r *rcloneMount) mount(ctx context.Context) error {
	r.mounts++
	command, args := withoutScrubbed(os.Environ(), "rclone", "mount", "sec:", r.target.dir,
		"--config", r.configPath, "--vfs-cache-mode", "writes", "--vfs-write-back", "0s",
		"--cache-dir", r.cacheDir, "--rc", "--rc-addr", r.rcAddr, "--rc-no-auth")
	logPath := filepath.Join(r.base, fmt.Sprintf("rclone-%d.log", r.mounts))
	d, err := startDaemon(ctx, targetRclone, logPath, r.target.dir, "fuse.rclone", rcloneCleanExits, command, args...)
	if err != nil {
		return err
	}
	r.target.daemon = d
	return nil
}

// remountCold stops rclone, empties its cache directory and mounts it
// again, so that the next read comes from MinIO.
func (r *rcloneMount) remountCold(ctx context.Context) error {
	if d := r.target.daemon; d != nil {
		r.target.daemon = nil
		if err := d.stop(); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(r.cacheDir)
	if err != nil {
		return fmt.Errorf("rclone cache: %w", err)
	}
	for _, entry := range entries {
		if err := os.RemoveAll(filepath.Join(r.cacheDir, entry.Name())); err != nil {
			return fmt.Errorf("rclone cache: %w", err)
		}
	}
	return r.mount(ctx)
}

// stats asks rclone for its transfer counters.
func (r *rcloneMount) stats(ctx context.Context) (rcloneStats, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+r.rcAddr+"/core/stats",
		strings.NewReader("{}"))
	if err != nil {
		return rcloneStats{}, fmt.Errorf("rclone core/stats: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return rcloneStats{}, fmt.Errorf("rclone core/stats: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, rcloneMaxStatsBytes))
	if err != nil {
		return rcloneStats{}, fmt.Errorf("rclone core/stats: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return rcloneStats{}, fmt.Errorf("%w: HTTP %d", errRcloneStats, resp.StatusCode)
	}
	return parseRcloneStats(body)
}

// parseRcloneStats decodes the answer of core/stats.
func parseRcloneStats(body []byte) (rcloneStats, error) {
	var s rcloneStats
	if err := json.Unmarshal(body, &s); err != nil {
		return rcloneStats{}, fmt.Errorf("%w: %w", errRcloneStats, err)
	}
	if s.Transfers < 0 || s.Errors < 0 {
		return rcloneStats{}, fmt.Errorf("%w: negative counter", errRcloneStats)
	}
	return s, nil
}

// waitUploads polls core/stats until the transfers counter has risen by
// files since before. It warns once if rclone counts errors meanwhile (it
// retries failed uploads), and gives up when ctx ends.
func (r *rcloneMount) waitUploads(ctx context.Context, before rcloneStats, files int, logger *slog.Logger) error {
	warned := false
	for {
		now, err := r.stats(ctx)
		if err != nil {
			return err
		}
		if now.Transfers >= before.Transfers+int64(files) {
			return nil
		}
		if now.Errors > before.Errors && !warned {
			logger.Warn("rclone reports errors while uploading; waiting for its retries", "errors", now.Errors-before.Errors)
			warned = true
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for rclone to upload %d files (%d done): %w",
				files, now.Transfers-before.Transfers, ctx.Err())
		case <-time.After(rclonePollInterval):
		}
	}
}
