package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/sealfs/sealfs/integration/testenv"
)

// defaultMemoryFileSize is the size of each -memory file unless
// -memory-size says otherwise.
const defaultMemoryFileSize = 512 << 20

// memoryWriteSize is the size of every write() and read() of -memory.
const memoryWriteSize = 1 << 20

// memoryFiles is how many files -memory writes and reads concurrently, one
// goroutine each.
const memoryFiles = 8

// memoryBudget is the --memory-budget of the budgeted run, and memorySlack
// what the target allows above it for the rest of the daemon.
const (
	memoryBudget = 64 << 20
	memorySlack  = 64 << 20
)

// memoryRunResult is what one mount of -memory measured.
type memoryRunResult struct {
	name       string
	budget     int64 // --memory-budget, 0 for none
	write      memoryPhase
	read       memoryPhase
	hwm        int64 // the daemon's VmHWM at the end, in bytes
	hwmMissing bool  // VmHWM could not be read
}

// memoryPhase is one phase of a -memory run.
type memoryPhase struct {
	bytes   int64
	spent   time.Duration
	peakRSS int64 // highest VmRSS sampled during the phase
	samples int
}

// runMemory is -memory: sealfs on a local store on the work directory's
// disk, mounted once with --memory-budget and once without; on each,
// memoryFiles files of cfg.memorySize written concurrently (1 MiB writes,
// fsync, close) then read back and checked, while the daemon's VmRSS is
// sampled.
func runMemory(ctx context.Context, cfg config, stdout io.Writer, logger *slog.Logger) (err error) {
	wd, err := openWorkdir(cfg.workdir)
	if err != nil {
		return err
	}
	fsName := wd.filesystem()
	if fsName == "tmpfs" {
		logger.Warn("the work directory is on tmpfs: the store's pages count against memory, not the daemon", "workdir", wd.path)
	}
	var made []string
	defer func() {
		err = errors.Join(err, tearDown(nil, wd, made, cfg.keep, logger))
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
	var results []memoryRunResult
	for _, budget := range []int64{memoryBudget, 0} {
		name := "sealfs-budget-" + formatSize(budget)
		if budget == 0 {
			name = "sealfs-unbounded"
		}
		base, err := makeDir(name)
		if err != nil {
			return err
		}
		logger.Info("memory run", "mount", name, "files", memoryFiles, "file_size", formatSize(cfg.memorySize))
		result, err := memoryRun(ctx, name, base, binary, budget, cfg, logger)
		if err != nil {
			return err
		}
		results = append(results, result)
		// Each run writes memoryFiles × memorySize; free the disk at once.
		if err := os.RemoveAll(filepath.Join(base, "store")); err != nil {
			return fmt.Errorf("removing the store of %s: %w", name, err)
		}
	}
	_, err = io.WriteString(stdout, formatMemoryReport(results, cfg.memorySize, wd.path, fsName))
	return err
}

// memoryRun mounts sealfs in base (with --memory-budget budget unless 0),
// runs the write and read phases under an RSS sampler, and unmounts.
func memoryRun(ctx context.Context, name, base, binary string, budget int64, cfg config, logger *slog.Logger) (result memoryRunResult, err error) {
	store, state, mountpoint := filepath.Join(base, "store"), filepath.Join(base, "state"), filepath.Join(base, mountDirName)
	keyPath := filepath.Join(base, "kek")
	if err := makeDirs(store, state, mountpoint); err != nil {
		return result, err
	}
	if err := runQuiet(ctx, binary, "keygen", "--id", sealfsKeyID, keyPath); err != nil {
		return result, err
	}
	args := []string{"mount", "--foreground", "--key", keyPath, "--key-id", sealfsKeyID, "--state-dir", state}
	if budget > 0 {
		args = append(args, "--memory-budget", formatSize(budget))
	}
	args = append(args, store, mountpoint)
	d, err := startSealfsDaemon(ctx, name, filepath.Join(base, "sealfs.log"), mountpoint, binary, args...)
	if err != nil {
		return result, err
	}
	defer func() { err = errors.Join(err, d.stop()) }()

	result = memoryRunResult{name: name, budget: budget}
	files := memoryFileNames(mountpoint)
	phases := []struct {
		into *memoryPhase
		run  func(context.Context, []string, int64) error
		what string
	}{
		{&result.write, writeMemoryFiles, "write"},
		{&result.read, readMemoryFiles, "read"},
	}
	for _, phase := range phases {
		if !testenv.DropCaches() { // the read phase must reach the daemon, not the page cache
			logger.Warn("could not drop caches", "mount", name, "phase", phase.what)
		}
		sampler := startRSSSampler(d.cmd.Process.Pid, rssSampleInterval)
		start := time.Now()
		err := phase.run(ctx, files, cfg.memorySize)
		spent := time.Since(start)
		peak, samples, sampleErr := sampler.stop()
		if err != nil {
			return result, fmt.Errorf("%s, %s phase: %w", name, phase.what, err)
		}
		if sampleErr != nil {
			return result, fmt.Errorf("%s, %s phase: %w", name, phase.what, sampleErr)
		}
		*phase.into = memoryPhase{bytes: memoryFiles * cfg.memorySize, spent: spent, peakRSS: peak, samples: samples}
		logger.Info("measured", "mount", name, "phase", phase.what,
			"MB/s", fmt.Sprintf("%.1f", megabytesPerSecond(phase.into.bytes, spent)), "peak_rss", formatMiB(peak))
	}
	if result.hwm, err = d.peakRSS(); err != nil {
		logger.Warn("no VmHWM", "mount", name, "err", err)
		result.hwmMissing, err = true, nil
	}
	return result, nil
}

// memoryFileNames returns the paths of the -memory files below dir.
func memoryFileNames(dir string) []string {
	names := make([]string, memoryFiles)
	for i := range names {
		names[i] = filepath.Join(dir, fmt.Sprintf("big-%d.bin", i))
	}
	return names
}
