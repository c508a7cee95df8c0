package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sealfs/sealfs/integration/dicom"
	"github.com/sealfs/sealfs/integration/orthanc"
	"github.com/sealfs/sealfs/integration/testenv"
)

// orthancUploaders are the numbers of concurrent clients measured.
var orthancUploaders = []int{1, 4}

// orthancMultiFrames are the frame counts of the large instances added to
// the -files single-frame ones (20 MiB and 32 MiB).
var orthancMultiFrames = []int{40, 64}

// orthancWorkloads names the Orthanc phases for the report; they are run by
// measureOrthanc, not by workload.run.
var orthancWorkloads = func() []workload {
	var loads []workload
	for _, n := range orthancUploaders {
		for _, phase := range []string{"ingest", "read", "delete"} {
			loads = append(loads, workload{name: orthancLoadName(phase, n), unit: "inst/s"})
		}
	}
	return loads
}()

// orthancLoadName is the report name of one phase with n clients.
func orthancLoadName(phase string, n int) string {
	return fmt.Sprintf("orthanc %s ×%d", phase, n)
}

// orthancRun is one Orthanc server storing into one target.
type orthancRun struct {
	target *target
	server *orthanc.Server
	ids    []string
}

// measureOrthanc starts one Orthanc per target (StorageDirectory on the
// target, index beside it) and measures REST ingest, read-back and delete of
// the same generated instances with 1 and 4 clients, interleaving the
// targets within each phase and dropping caches before each phase.
func measureOrthanc(ctx context.Context, cfg config, targets []*target, makeDir func(string) (string, error), logger *slog.Logger) (samples []sample, allDropped bool, err error) {
	files := encodeOrthancInstances(cfg.files)
	runs := make([]*orthancRun, 0, len(targets))
	defer func() {
		for _, r := range runs {
			err = errors.Join(err, r.server.Stop())
		}
	}()
	for _, t := range targets {
		dir, err := makeDir("orthanc-" + t.name)
		if err != nil {
			return nil, false, err
		}
		server, err := orthanc.Start(ctx, orthanc.Options{
			WorkDir: dir, IndexDirectory: dir, StorageDirectory: filepath.Join(t.dir, "orthanc-storage"),
		})
		if err != nil {
			return nil, false, fmt.Errorf("orthanc on %s: %w", t.name, err)
		}
		runs = append(runs, &orthancRun{target: t, server: server})
	}
	allDropped = true
	phases := []struct {
		name string
		run  func(ctx context.Context, r *orthancRun, clients int) error
	}{
		{"ingest", func(ctx context.Context, r *orthancRun, clients int) error { return r.ingest(ctx, files, clients) }},
		{"read", func(ctx context.Context, r *orthancRun, clients int) error { return r.readBack(ctx, files, clients) }},
		{"delete", func(ctx context.Context, r *orthancRun, clients int) error { return r.deleteAll(ctx, clients) }},
	}
	for rep := 1; rep <= cfg.reps; rep++ {
		for _, clients := range orthancUploaders {
			for _, phase := range phases {
				for _, r := range runs {
					if !testenv.DropCaches() {
						allDropped = false
					}
					start := time.Now()
					err := phase.run(ctx, r, clients)
					spent := time.Since(start)
					if err != nil {
						return nil, false, fmt.Errorf("rep %d, orthanc %s ×%d on %s: %w (orthanc log %s)", rep, phase.name, clients, r.target.name, err, r.server.LogPath)
					}
					name := orthancLoadName(phase.name, clients)
					value := float64(len(files)) / spent.Seconds()
					logger.Info("measured", "rep", rep, "workload", name, "target", r.target.name,
						"value", fmt.Sprintf("%.1f inst/s", value), "seconds", fmt.Sprintf("%.3f", spent.Seconds()))
					samples = append(samples, sample{Workload: name, Target: r.target.name, Rep: rep, Value: value, Seconds: spent.Seconds()})
				}
			}
		}
	}
	return samples, allDropped, nil
}

// encodeOrthancInstances generates count single-frame instances (30 per
// patient, 10 per series) and the multi-frame ones.
func encodeOrthancInstances(count int) [][]byte {
	shape := dicom.Shape{Patients: (count + 29) / 30, Studies: 1, Series: 3, Instances: 10}
	cts := dicom.Collection(1, shape)[:count]
	for i, frames := range orthancMultiFrames {
		cts = append(cts, dicom.MultiFrame(uint64(100+i), frames))
	}
	files := make([][]byte, len(cts))
	for i, ct := range cts {
		files[i] = ct.Encode()
	}
	return files
}

// forEach runs fn for every index below n with the given number of
// concurrent clients.
func forEach(ctx context.Context, n, clients int, fn func(ctx context.Context, i int) error) error {
	group, ctx := errgroup.WithContext(ctx)
	group.SetLimit(clients)
	for i := range n {
		group.Go(func() error { return fn(ctx, i) })
	}
	return group.Wait()
}

// ingest uploads every file over REST.
func (r *orthancRun) ingest(ctx context.Context, files [][]byte, clients int) error {
	r.ids = make([]string, len(files))
	return forEach(ctx, len(files), clients, func(ctx context.Context, i int) error {
		id, err := r.server.Upload(ctx, files[i])
		r.ids[i] = id
		return err
	})
}

// readBack fetches every file (/instances/{id}/file) and compares it with
// what was uploaded.
func (r *orthancRun) readBack(ctx context.Context, files [][]byte, clients int) error {
	return forEach(ctx, len(files), clients, func(ctx context.Context, i int) error {
		got, err := r.server.File(ctx, r.ids[i])
		if err != nil {
			return err
		}
		if !bytes.Equal(got, files[i]) {
			return fmt.Errorf("instance %s: read back %d bytes that differ from the %d uploaded", r.ids[i], len(got), len(files[i]))
		}
		return nil
	})
}

// deleteAll deletes every instance and checks the storage is empty again.
func (r *orthancRun) deleteAll(ctx context.Context, clients int) error {
	err := forEach(ctx, len(r.ids), clients, func(ctx context.Context, i int) error {
		return r.server.Delete(ctx, "/instances/"+r.ids[i])
	})
	if err != nil {
		return err
	}
	left, err := os.ReadDir(filepath.Join(r.target.dir, "orthanc-storage"))
	if err != nil {
		return err
	}
	if len(left) > 0 {
		return fmt.Errorf("the storage directory still holds %d entries after deleting everything", len(left))
	}
	return nil
}
