package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"
)

// scaleFileSize is the size of every file -scale writes.
const scaleFileSize = 4096

// scaleWriters is how many goroutines write files concurrently.
const scaleWriters = 16

// populate writes files of scaleFileSize at new xx/yy/uuid names through
// the mount until the store holds size files, with scaleWriters writers.
func (t *scaleTier) populate(ctx context.Context, store *scaleStore, size int) (scaleRow, error) {
	names, err := orthancNames(size - store.count())
	if err != nil {
		return scaleRow{}, err
	}
	t.take()
	start := time.Now()
	err = writeScaleFiles(ctx, t.mountpoint, names, uint64(store.count()))
	spent := time.Since(start)
	counts := t.take()
	if err != nil {
		return scaleRow{}, err
	}
	store.add(names)
	return scaleRow{
		tier: t.name, files: store.count(), phase: fmt.Sprintf("write +%d files (%d writers)", len(names), scaleWriters),
		ops: len(names), spent: spent, counts: counts,
	}, nil
}

// writeScaleFiles writes names below root with scaleWriters goroutines;
// file i holds the pattern block stamped firstID+i.
func writeScaleFiles(ctx context.Context, root string, names []string, firstID uint64) error {
	group, ctx := errgroup.WithContext(ctx)
	next := make(chan int)
	group.Go(func() error {
		defer close(next)
		for i := range names {
			select {
			case next <- i:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	for range scaleWriters {
		group.Go(func() error {
			p := newPattern(scaleFileSize)
			for i := range next {
				if err := writeScaleFile(root, names[i], p.block(firstID+uint64(i), scaleFileSize)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return group.Wait()
}

// writeScaleFile creates the parent directories of name if needed, as
// Orthanc does, and writes data to it in one write, then closes it.
func writeScaleFile(root, name string, data []byte) error {
	if err := ensureParentDirs(root, filepath.Dir(name)); err != nil {
		return err
	}
	path := filepath.Join(root, name)
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	defer file.Close() // after an error only; the success path checks Close
	if _, err := file.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", path, err)
	}
	return nil
}
