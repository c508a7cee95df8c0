package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
)

// runS3 is the S3 comparison (-s3): one MinIO; sealfs, rclone crypt and
// s3fs mounted on it at once, each through its own counting proxy (so each
// pays the same extra hop and each one's requests are counted); the file
// workloads interleaved; the figures, ratios and request counts printed.
func runS3(ctx context.Context, cfg config, stdout io.Writer, logger *slog.Logger) (err error) {
	wd, err := openWorkdir(cfg.workdir)
	if err != nil {
		return err
	}
	fsName := wd.filesystem()
	if fsName == "tmpfs" {
		logger.Warn("the work directory is on tmpfs, so MinIO and the caches live in memory", "workdir", wd.path)
	}
	var (
		made    []string
		targets []*target
		minio   *minioServer
		proxies = map[string]*countingProxy{}
	)
	defer func() {
		var errs []error
		for i := len(targets) - 1; i >= 0; i-- {
			if d := targets[i].daemon; d != nil {
				errs = append(errs, d.stop())
			}
		}
		for _, proxy := range proxies {
			errs = append(errs, proxy.close())
		}
		if minio != nil {
			errs = append(errs, minio.stop())
		}
		keep := cfg.keep || errors.Is(err, errHung)
		errs = append(errs, tearDown(nil, wd, made, keep, logger))
		err = errors.Join(err, errors.Join(errs...))
	}()
	makeDir := func(name string) (string, error) {
		dir := filepath.Join(wd.path, name)
		if err := os.Mkdir(dir, 0o700); err != nil {
			return "", fmt.Errorf("work directory: %w", err)
		}
		made = append(made, name)
		return dir, nil
	}

	binary := cfg.sealfsBinary
	if binary == "" {
		dir, err := makeDir("bin")
		if err != nil {
			return err
		}
		if binary, err = buildSealfs(ctx, dir); err != nil {
			return err
		}
	}
	minioDir, err := makeDir("minio")
	if err != nil {
		return err
	}
	logger.Info("starting MinIO")
	if minio, err = startMinIO(ctx, filepath.Join(minioDir, "data"), filepath.Join(minioDir, "minio.log")); err != nil {
		return err
	}
	for _, name := range s3Targets {
		if proxies[name], err = startCountingProxy(minio.endpoint); err != nil {
			return err
		}
	}
	dirs := map[string]string{}
	for _, name := range s3Targets {
		if dirs[name], err = makeDir(name); err != nil {
			return err
		}
	}
	rcloneConfig, err := writeRcloneConfig(ctx, dirs[targetRclone], proxies[targetRclone].endpoint(), minio)
	if err != nil {
		return err
	}
	if err := makeBuckets(ctx, rcloneConfig); err != nil {
		return err
	}

	logger.Info("setting up", "target", targetSealfs)
	sealfs, err := setUpSealfsS3(ctx, dirs[targetSealfs], binary, proxies[targetSealfs].endpoint(), minio)
	if err != nil {
		return err
	}
	targets = append(targets, sealfs)
	logger.Info("setting up", "target", targetRclone)
	rclone, err := setUpRclone(ctx, dirs[targetRclone], rcloneConfig)
	if err != nil {
		return err
	}
	targets = append(targets, rclone.target)
	logger.Info("setting up", "target", targetS3fs)
	s3fs, err := setUpS3fs(ctx, dirs[targetS3fs], proxies[targetS3fs].endpoint(), minio)
	if err != nil {
		return err
	}
	targets = append(targets, s3fs)

	bench := &s3Bench{cfg: cfg, targets: targets, rclone: rclone, proxies: proxies, logger: logger, idle: requestCounts{}}
	samples, dropped, err := bench.measure(ctx)
	if err != nil {
		return err
	}
	mergeCounts(bench.idle, proxies[targetSealfs].take())
	r := s3Results{
		results: results{
			Settings: settings{
				Targets: s3Targets, SeqSize: cfg.seqSize, Files: cfg.files, FileSize: cfg.fileSize, Reps: cfg.reps,
				Workdir: wd.path, WorkdirFS: fsName, CachesDropped: dropped,
			},
			Workloads:    summarizeS3(samples),
			PeakRSSBytes: peakRSS(targets, logger),
			Samples:      samples,
		},
		Requests:              bench.requests,
		RequestsOutsidePhases: bench.idle,
	}
	if err := writeS3Report(stdout, r); err != nil {
		return err
	}
	if cfg.jsonPath != "" {
		return writeS3JSON(cfg.jsonPath, r)
	}
	return nil
}
