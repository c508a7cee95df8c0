package maintain

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/remote"
)

// Options configure a run over a store.
type Options struct {
	// Store holds the objects; Keyring the KEKs; Volume the volume id that
	// is part of every object's identity; ChunkSize the volume's chunk size.
	Store     remote.Store
	Keyring   *keyring.Keyring
	Volume    [16]byte
	ChunkSize int
	// Jobs is how many objects are worked on at once (0: the number of CPUs).
	Jobs int
	// MemoryBudget bounds the buffers of all jobs together (0: unbounded):
	// Jobs is lowered until Jobs × JobMemory fits, with at least one job.
	MemoryBudget int64
	// JobMemory is what one job may hold (0: an estimate from ChunkSize).
	JobMemory int64
	// Checkpoint is the checkpoint file ("" for none). Restart ignores
	// (and replaces) an existing one.
	Checkpoint string
	Restart    bool
	// CheckpointEvery is how often the checkpoint is saved (0: 2 s).
	CheckpointEvery time.Duration
	// Progress is told what the run does (nil: nothing).
	Progress Progress
	// Logger gets one line per failed object (nil: discarded).
	Logger *slog.Logger
}

// Progress receives a run's progress. Done is called concurrently.
type Progress interface {
	// Start gives what is left to do, counted by a listing before the run.
	Start(objects, bytes int64)
	// Done reports one object finished, of size bytes in the store.
	Done(bytes int64, failed bool)
}

// copyBufferSize is the buffer each rotate job copies bodies through.
const copyBufferSize = 256 << 10

// jobs returns how many objects may be worked on at once.
func (o *Options) jobs() int {
	n := o.Jobs
	if n <= 0 {
		n = runtime.NumCPU()
	}
	if o.MemoryBudget > 0 {
		per := o.JobMemory
		if per <= 0 {
			per = readWindow + int64(2*o.ChunkSize) + copyBufferSize
		}
		n = min(n, max(1, int(o.MemoryBudget/per)))
	}
	return n
}

// IsObjectKey reports whether a listed key is a sealfs object: not a
// directory marker (ending in "/") and not a reserved top-level name
// starting with ".sealfs" (the volume file, the local tier's .sealfs-tmp/).
func IsObjectKey(key string) bool {
	if key == "" || strings.HasSuffix(key, "/") {
		return false
	}
	top, _, _ := strings.Cut(key, "/")
	return !strings.HasPrefix(top, ".sealfs")
}

type task struct {
	seq  uint64
	info remote.Info
}

// lister calls fn for every item of a run in increasing key order (the
// order the checkpoint relies on). after is the checkpoint's key: a lister
// may skip what is not after it (run filters again).
type lister func(ctx context.Context, after string, fn func(remote.Entry) error) error

// storeLister lists the objects of the store, in List order.
func storeLister(store remote.Store) lister {
	return func(ctx context.Context, _ string, fn func(remote.Entry) error) error {
		return store.List(ctx, "", true, func(e remote.Entry) error {
			if !IsObjectKey(e.Key) {
				return nil
			}
			return fn(e)
		})
	}
}

// run lists the store and calls work for every object after the
// checkpoint, in parallel, folding the outcomes into the report in List
// order. op and params name the run in the checkpoint.
func run(ctx context.Context, o Options, op, params string, work func(ctx context.Context, info remote.Info) outcome) (Report, error) {
	return runOver(ctx, o, op, params, storeLister(o.Store), work)
}

// runOver is run over the items list gives (the store's objects, or the
// files of a source directory).
func runOver(ctx context.Context, o Options, op, params string, list lister, work func(ctx context.Context, info remote.Info) outcome) (Report, error) {
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	volume := hex.EncodeToString(o.Volume[:])
	report := &Report{}
	after := ""
	if o.Checkpoint != "" && !o.Restart {
		cp, ok, err := loadCheckpoint(o.Checkpoint)
		if err != nil {
			return Report{}, err
		}
		switch {
		case ok && cp.matches(op, volume, params):
			*report = cp.Report
			after = cp.After
			report.ResumedAfter = after
			logger.Info(op+": resuming from the checkpoint", "after", after, "checkpoint", o.Checkpoint)
		case ok:
			logger.Info(op+": the checkpoint belongs to another run; starting over", "checkpoint", o.Checkpoint, "op", cp.Op, "params", cp.Params)
		}
	}
	todo := func(key string) bool { return key > after }

	if o.Progress != nil {
		var objects, bytes int64
		err := list(ctx, after, func(e remote.Entry) error {
			if todo(e.Key) {
				objects++
				bytes += e.Size
			}
			return nil
		})
		if err != nil {
			return Report{}, fmt.Errorf("%s: listing: %w", op, err)
		}
		o.Progress.Start(objects, bytes)
	}

	seq := newSequencer(after, report)
	save := func() error {
		if o.Checkpoint == "" {
			return nil
		}
		last, rep, changed := seq.snapshot()
		if !changed {
			return nil
		}
		return saveCheckpoint(o.Checkpoint, checkpoint{Op: op, Volume: volume, Params: params, After: last, Report: rep})
	}

	// Workers stop taking tasks once ctx is done; an object cut short by
	// cancellation is not folded, so the checkpoint stays before it.
	tasks := make(chan task)
	var wg sync.WaitGroup
	for range o.jobs() {
		wg.Go(func() {
			for t := range tasks {
				out := work(ctx, t.info)
				if out.kind == kindFailed && ctx.Err() != nil {
					continue
				}
				if out.kind == kindFailed {
					logger.Warn(op+": object failed", "key", t.info.Key, "err", out.err)
				}
				seq.finish(t.seq, out)
				if o.Progress != nil && out.kind != kindGone {
					o.Progress.Done(out.bytes, out.kind == kindFailed)
				}
			}
		})
	}
	stopSaver := make(chan struct{})
	saverDone := make(chan error, 1)
	go func() {
		every := o.CheckpointEvery
		if every <= 0 {
			every = 2 * time.Second
		}
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-stopSaver:
				saverDone <- nil
				return
			case <-tick.C:
				if err := save(); err != nil {
					saverDone <- err
					return
				}
			}
		}
	}()

	listErr := list(ctx, after, func(e remote.Entry) error {
		if !todo(e.Key) {
			return nil
		}
		t := task{seq: seq.add(e.Key), info: e.Info}
		select {
		case tasks <- t:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(tasks)
	wg.Wait()
	close(stopSaver)
	saveErr := <-saverDone

	final := seq.current()
	switch {
	case listErr == nil && ctx.Err() == nil && seq.allDone():
		if o.Checkpoint != "" {
			if err := removeCheckpoint(o.Checkpoint); err != nil {
				return final, err
			}
		}
	default:
		if err := save(); err != nil {
			saveErr = errors.Join(saveErr, err)
		}
		if ctx.Err() != nil {
			return final, fmt.Errorf("%s: interrupted (resume by running it again): %w", op, errors.Join(ctx.Err(), saveErr))
		}
		if listErr != nil {
			return final, fmt.Errorf("%s: listing: %w", op, errors.Join(listErr, saveErr))
		}
	}
	if saveErr != nil {
		return final, saveErr
	}
	if n := len(final.Failures); n > 0 {
		return final, fmt.Errorf("%s: %d of %d objects: %w", op, n, final.Objects, ErrFailures)
	}
	return final, nil
}
