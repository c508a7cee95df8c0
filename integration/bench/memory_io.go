package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"golang.org/x/sync/errgroup"
)

// memoryBlockID is the pattern stamp of block n of file i of -memory, so
// that a block served for the wrong file or offset is caught.
func memoryBlockID(file, block int) uint64 {
	return uint64(file)<<40 | uint64(block)
}

// writeMemoryFiles writes every path concurrently, one goroutine each: size
// bytes in memoryWriteSize writes of stamped pattern blocks, fsync, close.
func writeMemoryFiles(ctx context.Context, paths []string, size int64) error {
	group, ctx := errgroup.WithContext(ctx)
	for i, path := range paths {
		group.Go(func() error { return writeMemoryFile(ctx, path, i, size) })
	}
	return group.Wait()
}

// writeMemoryFile writes one -memory file.
func writeMemoryFile(ctx context.Context, path string, index int, size int64) error {
	p := newPattern(memoryWriteSize)
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	defer file.Close() // after an error only; the success path checks Close
	for block, offset := 0, int64(0); offset < size; block, offset = block+1, offset+memoryWriteSize {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := int(min(memoryWriteSize, size-offset))
		if _, err := file.Write(p.block(memoryBlockID(index, block), n)); err != nil {
			return fmt.Errorf("writing %s at %d: %w", path, offset, err)
		}
	}
	if err := file.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", path, err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", path, err)
	}
	return nil
}

// readMemoryFiles reads every path back concurrently, one goroutine each,
// and checks every block against the pattern written by writeMemoryFiles.
func readMemoryFiles(ctx context.Context, paths []string, size int64) error {
	group, ctx := errgroup.WithContext(ctx)
	for i, path := range paths {
		group.Go(func() error { return readMemoryFile(ctx, path, i, size) })
	}
	return group.Wait()
}

// readMemoryFile reads one -memory file in memoryWriteSize reads and
// checks its size and every block.
func readMemoryFile(ctx context.Context, path string, index int, size int64) error {
	p := newPattern(memoryWriteSize)
	file, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	defer file.Close() // read-only: a close error changes nothing
	buf := make([]byte, memoryWriteSize)
	for block, offset := 0, int64(0); offset < size; block, offset = block+1, offset+memoryWriteSize {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := int(min(memoryWriteSize, size-offset))
		if _, err := io.ReadFull(file, buf[:n]); err != nil {
			return fmt.Errorf("reading %s at %d: %w", path, offset, err)
		}
		if err := p.check(buf[:n], memoryBlockID(index, block)); err != nil {
			return fmt.Errorf("%s at %d: %w", path, offset, err)
		}
	}
	if n, err := file.Read(buf[:1]); n != 0 || err != io.EOF {
		return fmt.Errorf("%w: %s is longer than the %d bytes written", errContentMismatch, path, size)
	}
	return nil
}
