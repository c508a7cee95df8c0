package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sealfs/sealfs/integration/testenv"
)

// defaultUploadTimeout bounds the wait for rclone's uploads when
// -hang-timeout is 0.
const defaultUploadTimeout = 30 * time.Minute

// requestSample is what one target sent to MinIO during one workload of
// one repetition.
type requestSample struct {
	Target   string        `json:"target"`
	Workload string        `json:"workload"`
	Rep      int           `json:"rep"`
	Files    int           `json:"files"`
	Counts   requestCounts `json:"counts"`
}

// s3Bench is the S3 comparison under way.
type s3Bench struct {
	cfg     config
	targets []*target // sealfs, rclone, s3fs
	rclone  *rcloneMount
	proxies map[string]*countingProxy // in front of MinIO, one per target
	logger  *slog.Logger

	requests []requestSample
	idle     requestCounts // sealfs's requests outside its measured phases
}

// filesWritten returns how many files the workload called name writes.
func filesWritten(name string, cfg config) int {
	switch name {
	case "seq write":
		return 1
	case "orthanc write":
		return cfg.files
	}
	return 0
}

// filesTouched returns how many files the workload called name works on.
func filesTouched(name string, cfg config) int {
	if strings.HasPrefix(name, "orthanc") {
		return cfg.files
	}
	return 1
}

// readsCold reports whether the workload called name reads cold data.
func readsCold(name string) bool {
	return name == "seq read cold" || name == "orthanc read cold"
}

// measure runs every workload on every target, interleaving the targets
// within each repetition and dropping caches before each phase. rclone is
// timed until its uploads are done and is remounted with an empty cache
// before each cold read. It also reports whether every drop worked.
func (b *s3Bench) measure(ctx context.Context) ([]sample, bool, error) {
	p := newPattern(max(seqBlockSize, int(b.cfg.fileSize)))
	spaces := make([]*workspace, len(b.targets))
	for i, t := range b.targets {
		spaces[i] = newWorkspace(t.dir, p, b.cfg)
	}
	var samples []sample
	allDropped := true
	for rep := 1; rep <= b.cfg.reps; rep++ {
		for _, load := range workloads {
			for i, t := range b.targets {
				if t.name == targetRclone && readsCold(load.name) {
					if err := b.rclone.remountCold(ctx); err != nil {
						return nil, false, fmt.Errorf("rep %d, remounting rclone before %s: %w", rep, load.name, err)
					}
				}
				if !testenv.DropCaches() {
					allDropped = false
				}
				value, spent, err := b.runOne(ctx, load, t, spaces[i], rep)
				if err != nil {
					return nil, false, err
				}
				b.logger.Info("measured", "rep", rep, "workload", load.name, "target", t.name,
					"value", fmt.Sprintf("%.1f %s", value, load.unit), "seconds", fmt.Sprintf("%.3f", spent.Seconds()))
				samples = append(samples, sample{Workload: load.name, Target: t.name, Rep: rep, Value: value, Seconds: spent.Seconds()})
			}
		}
	}
	return samples, allDropped, nil
}

// runOne runs one workload on one target under the hang watch, waiting for
// rclone's uploads inside the measured time, and records its requests.
func (b *s3Bench) runOne(ctx context.Context, load workload, t *target, w *workspace, rep int) (float64, time.Duration, error) {
	uploads := 0
	var before rcloneStats
	if t.name == targetRclone {
		uploads = filesWritten(load.name, b.cfg)
		if uploads > 0 {
			var err error
			if before, err = b.rclone.stats(ctx); err != nil {
				return 0, 0, fmt.Errorf("rep %d, %s on rclone: %w", rep, load.name, err)
			}
		}
	}
	if idle := b.proxies[t.name].take(); t.name == targetSealfs {
		mergeCounts(b.idle, idle)
	}
	stopWatch := func() bool { return false }
	if t.daemon != nil && b.cfg.hangTimeout > 0 {
		stopWatch = t.daemon.watchHang(b.cfg.hangTimeout)
	}
	value, spent, err := load.run(ctx, w)
	if err == nil && uploads > 0 {
		value, spent, err = b.untilUploaded(ctx, before, uploads, value, spent)
	}
	if stopWatch() {
		return 0, 0, fmt.Errorf("rep %d, %s on %s: %w for over %v; sent SIGQUIT, see the goroutine dump in %s: %v",
			rep, load.name, t.name, errHung, b.cfg.hangTimeout, t.daemon.logPath, err)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("rep %d, %s on %s: %w", rep, load.name, t.name, err)
	}
	b.requests = append(b.requests, requestSample{
		Target: t.name, Workload: load.name, Rep: rep, Files: filesTouched(load.name, b.cfg), Counts: b.proxies[t.name].take(),
	})
	return value, spent, nil
}

// untilUploaded waits until rclone has uploaded files more files than
// before and returns the figure and time with that wait included. Every
// figure is an amount divided by the time, so it scales by the inverse of
// the time.
func (b *s3Bench) untilUploaded(ctx context.Context, before rcloneStats, files int, value float64, spent time.Duration) (float64, time.Duration, error) {
	timeout := b.cfg.hangTimeout
	if timeout <= 0 {
		timeout = defaultUploadTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	if err := b.rclone.waitUploads(ctx, before, files, b.logger); err != nil {
		return 0, 0, err
	}
	total := spent + time.Since(start)
	return value * spent.Seconds() / total.Seconds(), total, nil
}
