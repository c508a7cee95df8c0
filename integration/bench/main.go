// Command bench measures sealfs against a plain directory and gocryptfs with
// workloads that look like Orthanc's, and prints the figures. It asserts
// nothing about speed; it fails only when a target misbehaves (wrong bytes
// read back, a daemon that does not mount or stop cleanly).
//
// Usage, from the repository root (root is needed to drop caches):
//
//	go run ./integration/bench [-targets plain,sealfs,gocryptfs] [-seq-size 1GiB]
//	    [-files 300] [-file-size 537600] [-reps 3] [-workdir DIR] [-json FILE]
//	go run ./integration/bench -orthanc -targets plain,sealfs,sealfs-s3   # Orthanc on each target
//	go run ./integration/bench -s3   # sealfs vs rclone crypt vs s3fs on one MinIO
//	go run ./integration/bench -memory [-memory-size 512MiB]   # daemon RSS under --memory-budget
//	go run ./integration/bench -scale [-scale-max 100000]      # stat/ls cost as the store grows
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/sealfs/sealfs/integration/testenv"
)

// maxFileSize bounds -file-size: every Orthanc file is held in memory once.
const maxFileSize = 1 << 30

// sealfsPackage is built when no -sealfs binary is given.
const sealfsPackage = "github.com/sealfs/sealfs/cmd/sealfs"

// config is the bench's command line.
type config struct {
	targets      []string
	seqSize      int64
	files        int
	fileSize     int64
	reps         int
	workdir      string
	jsonPath     string
	sealfsBinary string
	keep         bool
	hangTimeout  time.Duration
	orthanc      bool
	s3           bool // S3 comparison (s3run.go): sealfs, rclone crypt, s3fs on one MinIO

	// -memory and -scale (memory*.go, scale*.go).
	memory     bool  // daemon RSS with and without --memory-budget
	memorySize int64 // size of each file of -memory
	scale      bool  // stat/ls cost as the store grows, local and over MinIO
	scaleMax   int   // largest store of -scale, in files
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(ctx, os.Args[1:], os.Stdout, logger); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			logger.Error("bench failed", "err", err)
		}
		stop()
		os.Exit(1)
	}
}

// parseFlags reads the command line into a config.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	flags := flag.NewFlagSet("bench", flag.ContinueOnError)
	flags.SetOutput(stderr)
	seqSize, fileSize := byteSize(1<<30), byteSize(537600)
	targets := flags.String("targets", strings.Join(knownTargets, ","),
		"comma-separated targets: "+strings.Join(knownTargets, ", ")+"; with -orthanc also "+strings.Join(orthancOnlyTargets, ", "))
	flags.Var(&seqSize, "seq-size", "size of the sequential file (B, KiB, MiB, GiB, kB, MB, GB)")
	files := flags.Int("files", 300, "number of Orthanc files")
	flags.Var(&fileSize, "file-size", "size of each Orthanc file")
	reps := flags.Int("reps", 3, "repetitions of every workload; the median is reported")
	workdir := flags.String("workdir", "", "work directory for stores and mounts (default: a new directory under /var/tmp, removed at the end)")
	jsonPath := flags.String("json", "", "also write the results to this file as JSON")
	sealfsBinary := flags.String("sealfs", "", "sealfs binary to run (default: build "+sealfsPackage+")")
	keep := flags.Bool("keep", false, "keep stores, keys and logs in the work directory")
	hangTimeout := flags.Duration("hang-timeout", 10*time.Minute,
		"if one phase on a FUSE target runs longer, send its daemon SIGQUIT (goroutine dump in its log) and fail; 0 disables")
	orthanc := flags.Bool("orthanc", false, "run Orthanc on each target instead of the file workloads (REST ingest, read, delete of -files instances plus 2 multi-frame)")
	s3 := flags.Bool("s3", false, "compare sealfs, rclone crypt and s3fs on one MinIO instead (ignores -targets)")
	memorySize := byteSize(defaultMemoryFileSize)
	memory := flags.Bool("memory", false, "measure the daemon's RSS with and without --memory-budget instead (memory*.go)")
	flags.Var(&memorySize, "memory-size", "size of each of the -memory files")
	scale := flags.Bool("scale", false, "measure stat and ls as the store grows, local and over MinIO, instead (scale*.go)")
	scaleMax := flags.Int("scale-max", defaultScaleMax, "largest store of -scale, in files")
	if err := flags.Parse(args); err != nil {
		return config{}, err
	}
	if flags.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %q", flags.Args())
	}
	names, err := parseTargets(*targets)
	if err != nil {
		return config{}, err
	}
	if err := checkOrthancOnlyTargets(names, *orthanc); err != nil {
		return config{}, err
	}
	cfg := config{
		targets: names, seqSize: int64(seqSize), files: *files, fileSize: int64(fileSize), reps: *reps,
		workdir: *workdir, jsonPath: *jsonPath, sealfsBinary: *sealfsBinary, keep: *keep,
		hangTimeout: *hangTimeout, orthanc: *orthanc, s3: *s3,
		memory: *memory, memorySize: int64(memorySize), scale: *scale, scaleMax: *scaleMax,
	}
	switch {
	case cfg.seqSize <= 0:
		return config{}, errors.New("-seq-size must be positive")
	case cfg.files <= 0:
		return config{}, errors.New("-files must be positive")
	case cfg.fileSize <= 0 || cfg.fileSize > maxFileSize:
		return config{}, fmt.Errorf("-file-size must be between 1 and %s", formatSize(maxFileSize))
	case cfg.reps <= 0:
		return config{}, errors.New("-reps must be positive")
	case cfg.hangTimeout < 0:
		return config{}, errors.New("-hang-timeout must not be negative")
	case cfg.memorySize < memoryWriteSize:
		return config{}, fmt.Errorf("-memory-size must be at least %s", formatSize(memoryWriteSize))
	case cfg.scaleMax < scaleProbeFiles:
		return config{}, fmt.Errorf("-scale-max must be at least %d", scaleProbeFiles)
	}
	return cfg, nil
}

// run is the whole bench: set up, measure, tear down, report.
func run(ctx context.Context, args []string, stdout io.Writer, logger *slog.Logger) (err error) {
	cfg, err := parseFlags(args, os.Stderr)
	if err != nil {
		return err
	}
	if cfg.s3 {
		return runS3(ctx, cfg, stdout, logger)
	}
	if cfg.memory {
		return runMemory(ctx, cfg, stdout, logger)
	}
	if cfg.scale {
		return runScale(ctx, cfg, stdout, logger)
	}
	wd, err := openWorkdir(cfg.workdir)
	if err != nil {
		return err
	}
	fsName := wd.filesystem()
	if fsName == "tmpfs" {
		logger.Warn("the work directory is on tmpfs, so the figures measure memory, not a disk", "workdir", wd.path)
	}
	var made []string // entries of the work directory that the bench created
	var targets []*target
	defer func() {
		keep := cfg.keep || errors.Is(err, errHung) // the daemon's log holds the goroutine dump
		err = errors.Join(err, tearDown(targets, wd, made, keep, logger))
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
	if binary == "" && slices.ContainsFunc(cfg.targets, usesSealfs) {
		dir, err := makeDir("bin")
		if err != nil {
			return err
		}
		if binary, err = buildSealfs(ctx, dir); err != nil {
			return err
		}
	}
	for _, name := range cfg.targets {
		logger.Info("setting up", "target", name)
		base, err := makeDir(name)
		if err != nil {
			return err
		}
		t, err := setUpTarget(ctx, name, base, binary)
		if err != nil {
			return err
		}
		targets = append(targets, t)
	}

	loads, measureAll := workloads, measure
	if cfg.orthanc {
		loads = orthancWorkloads
		measureAll = func(ctx context.Context, cfg config, targets []*target, logger *slog.Logger) ([]sample, bool, error) {
			return measureOrthanc(ctx, cfg, targets, makeDir, logger)
		}
	}
	samples, dropped, err := measureAll(ctx, cfg, targets, logger)
	if err != nil {
		return err
	}
	r := results{
		Settings: settings{
			Targets: cfg.targets, SeqSize: cfg.seqSize, Files: cfg.files, FileSize: cfg.fileSize, Reps: cfg.reps,
			Workdir: wd.path, WorkdirFS: fsName, CachesDropped: dropped,
		},
		Workloads:    summarize(samples, cfg.targets, loads),
		PeakRSSBytes: peakRSS(targets, logger),
		Samples:      samples,
	}
	if err := writeReport(stdout, r); err != nil {
		return err
	}
	if cfg.jsonPath != "" {
		return writeJSON(cfg.jsonPath, r)
	}
	return nil
}

// buildSealfs builds the sealfs binary into dir; it must be run from inside
// the sealfs module (as "go run ./integration/bench" is).
func buildSealfs(ctx context.Context, dir string) (string, error) {
	binary := filepath.Join(dir, "sealfs")
	output, err := exec.CommandContext(ctx, "go", "build", "-o", binary, sealfsPackage).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build %s (or pass -sealfs): %w\n%s", sealfsPackage, err, output)
	}
	return binary, nil
}

// measure runs every workload on every target, interleaving the targets
// within each repetition and dropping caches before each phase. It also
// reports whether every drop worked.
func measure(ctx context.Context, cfg config, targets []*target, logger *slog.Logger) ([]sample, bool, error) {
	p := newPattern(max(seqBlockSize, int(cfg.fileSize)))
	spaces := make([]*workspace, len(targets))
	for i, t := range targets {
		spaces[i] = newWorkspace(t.dir, p, cfg)
	}
	var samples []sample
	allDropped := true
	for rep := 1; rep <= cfg.reps; rep++ {
		for _, load := range workloads {
			for i, t := range targets {
				if !testenv.DropCaches() {
					allDropped = false
				}
				stopWatch := func() bool { return false }
				if t.daemon != nil && cfg.hangTimeout > 0 {
					stopWatch = t.daemon.watchHang(cfg.hangTimeout)
				}
				value, spent, err := load.run(ctx, spaces[i])
				if stopWatch() {
					return nil, false, fmt.Errorf("rep %d, %s on %s: %w for over %v; sent SIGQUIT, see the goroutine dump in %s: %v",
						rep, load.name, t.name, errHung, cfg.hangTimeout, t.daemon.logPath, err)
				}
				if err != nil {
					return nil, false, fmt.Errorf("rep %d, %s on %s: %w", rep, load.name, t.name, err)
				}
				logger.Info("measured", "rep", rep, "workload", load.name, "target", t.name,
					"value", fmt.Sprintf("%.1f %s", value, load.unit), "seconds", fmt.Sprintf("%.3f", spent.Seconds()))
				samples = append(samples, sample{Workload: load.name, Target: t.name, Rep: rep, Value: value, Seconds: spent.Seconds()})
			}
		}
	}
	return samples, allDropped, nil
}

// peakRSS reads the peak memory of every daemon still running.
func peakRSS(targets []*target, logger *slog.Logger) map[string]int64 {
	rss := map[string]int64{}
	for _, t := range targets {
		if t.daemon == nil {
			continue
		}
		bytes, err := t.daemon.peakRSS()
		if err != nil {
			logger.Warn("no peak RSS", "target", t.name, "err", err)
			continue
		}
		rss[t.name] = bytes
	}
	return rss
}

// tearDown stops the daemons in reverse order of start, then removes what
// the bench made in the work directory unless keep is set.
func tearDown(targets []*target, wd *workdir, made []string, keep bool, logger *slog.Logger) error {
	var errs []error
	for i := len(targets) - 1; i >= 0; i-- {
		if d := targets[i].daemon; d != nil {
			if err := d.stop(); err != nil {
				errs = append(errs, err)
			}
		}
		if m := targets[i].minio; m != nil {
			if err := m.stop(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	// Look at every mount point the bench may have used, including those of
	// a target whose set-up failed, before deleting anything.
	stillMounted := false
	for _, name := range made {
		mounted, err := testenv.Mounted(filepath.Join(wd.path, name, mountDirName), "")
		if err != nil {
			errs = append(errs, err)
		}
		stillMounted = stillMounted || mounted || err != nil
	}
	if keep {
		logger.Info("kept the work directory", "workdir", wd.path)
		return errors.Join(errs...)
	}
	return errors.Join(append(errs, wd.remove(made, stillMounted))...)
}
