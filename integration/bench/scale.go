package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	"github.com/sealfs/sealfs/remote/s3"
)

// defaultScaleMax is the largest store of -scale unless -scale-max says
// otherwise.
const defaultScaleMax = 100000

// scaleLevels are the store sizes, in files, at which -scale measures; a
// -scale-max between them becomes the last level.
var scaleLevels = []int{1000, 10000, 100000}

// Tier names of -scale.
const (
	scaleTierLocal = "local"
	scaleTierS3    = "minio"
)

// scaleSizes returns the levels up to most, ending with most itself.
func scaleSizes(most int) []int {
	var sizes []int
	for _, n := range scaleLevels {
		if n < most {
			sizes = append(sizes, n)
		}
	}
	return append(sizes, most)
}

// runScale is -scale: on the local tier and on sealfs over MinIO (through a
// counting proxy), grow the store through the mount to each size of
// scaleSizes and time stat and ls with a cold and a warm metadata cache,
// and the mount itself with an empty and with a warm state directory.
func runScale(ctx context.Context, cfg config, stdout io.Writer, logger *slog.Logger) (err error) {
	wd, err := openWorkdir(cfg.workdir)
	if err != nil {
		return err
	}
	var (
		made  []string
		minio *minioServer
		proxy *countingProxy
	)
	defer func() {
		var errs []error
		if proxy != nil {
			errs = append(errs, proxy.close())
		}
		if minio != nil {
			errs = append(errs, minio.stop())
		}
		errs = append(errs, tearDown(nil, wd, made, cfg.keep, logger))
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

	localBase, err := makeDir("scale-" + scaleTierLocal)
	if err != nil {
		return err
	}
	local, err := newLocalScaleTier(ctx, localBase, binary)
	if err != nil {
		return err
	}
	minioDir, err := makeDir("minio")
	if err != nil {
		return err
	}
	logger.Info("starting MinIO")
	if minio, err = startMinIO(ctx, filepath.Join(minioDir, "data"), filepath.Join(minioDir, "minio.log")); err != nil {
		return err
	}
	if proxy, err = startCountingProxy(minio.endpoint); err != nil {
		return err
	}
	if err := createBenchBucket(ctx, minio, filepath.Join(minioDir, "spool")); err != nil {
		return err
	}
	s3Base, err := makeDir("scale-" + scaleTierS3)
	if err != nil {
		return err
	}
	remote, err := newS3ScaleTier(ctx, s3Base, binary, proxy, minio)
	if err != nil {
		return err
	}

	sizes := scaleSizes(cfg.scaleMax)
	var rows []scaleRow
	for _, tier := range []*scaleTier{local, remote} {
		tierRows, err := tier.run(ctx, sizes, logger)
		rows = append(rows, tierRows...)
		if err != nil {
			// Print what was measured before failing: a long run's figures
			// are worth keeping.
			_, _ = io.WriteString(stdout, formatScaleReport(rows, wd.path))
			return fmt.Errorf("%s tier: %w", tier.name, err)
		}
	}
	_, err = io.WriteString(stdout, formatScaleReport(rows, wd.path))
	return err
}

// createBenchBucket creates the bench bucket on m, directly (not through
// the counting proxy).
func createBenchBucket(ctx context.Context, m *minioServer, spoolDir string) error {
	if err := os.Mkdir(spoolDir, 0o700); err != nil {
		return fmt.Errorf("bucket spool: %w", err)
	}
	bucket, err := s3.New(ctx, s3.Config{
		Bucket: benchBucket, Endpoint: m.endpoint, AccessKey: m.accessKey, SecretKey: m.secretKey,
		PathStyle: true, CreateBucket: true, SpoolDir: spoolDir,
	})
	if err != nil {
		return fmt.Errorf("creating the bucket: %w", err)
	}
	if err := bucket.Close(); err != nil {
		return fmt.Errorf("creating the bucket: %w", err)
	}
	return nil
}

// run grows the tier's store to each size in turn and measures it there.
// The rows measured so far are returned with any error.
func (t *scaleTier) run(ctx context.Context, sizes []int, logger *slog.Logger) (rows []scaleRow, err error) {
	defer func() { err = errors.Join(err, t.unmount()) }()
	if _, err := t.mount(ctx, "mount (first, empty store)"); err != nil {
		return nil, err
	}
	t.take() // the first mount of an empty store is not a figure
	store := newScaleStore(uint64(len(t.name)))
	for _, size := range sizes {
		logger.Info("populating", "tier", t.name, "from", store.count(), "to", size)
		row, err := t.populate(ctx, store, size)
		if err != nil {
			return rows, err
		}
		rows = append(rows, row)
		logger.Info("measured", "tier", t.name, "files", size, "phase", row.phase, "seconds", fmt.Sprintf("%.1f", row.spent.Seconds()))
		measured, err := t.measureAt(ctx, store, logger)
		rows = append(rows, measured...)
		if err != nil {
			return rows, err
		}
	}
	return rows, nil
}

// measureAt remounts with an empty state directory, probes cold and then
// warm, remounts with the now warm state directory, and probes once more.
func (t *scaleTier) measureAt(ctx context.Context, store *scaleStore, logger *slog.Logger) ([]scaleRow, error) {
	var rows []scaleRow
	add := func(row scaleRow) {
		row.tier, row.files = t.name, store.count()
		rows = append(rows, row)
		logger.Info("measured", "tier", t.name, "files", row.files, "phase", row.phase, "ops", row.ops,
			"us_per_op", fmt.Sprintf("%.0f", row.microsPerOp()), "requests", formatCounts(row.counts))
	}
	if err := t.unmount(); err != nil {
		return rows, err
	}
	if err := t.freshStateDir(); err != nil {
		return rows, err
	}
	row, err := t.mount(ctx, "mount, empty state dir")
	if err != nil {
		return rows, err
	}
	add(row)
	probes := store.probes()
	for _, temperature := range []string{"cold", "warm"} {
		for _, probe := range probes {
			row, err := t.probe(ctx, probe, temperature)
			if err != nil {
				return rows, err
			}
			add(row)
		}
	}
	if err := t.unmount(); err != nil {
		return rows, err
	}
	if row, err = t.mount(ctx, "mount, warm state dir"); err != nil {
		return rows, err
	}
	add(row)
	// The metadata cache's entries carry TTLs of a few seconds: this pass
	// shows what the kept state directory still answers after a remount.
	for _, probe := range probes {
		row, err := t.probe(ctx, probe, "after remount")
		if err != nil {
			return rows, err
		}
		add(row)
	}
	return rows, nil
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
