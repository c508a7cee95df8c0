package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMemoryVerdict(t *testing.T) {
	tests := []struct {
		name   string
		budget int64
		peak   int64
		want   string
	}{
		{"no budget", 0, 1 << 40, "n/a"},
		{"well under", memoryBudget, 80 << 20, "met"},
		{"exactly at the target", memoryBudget, memoryBudget + memorySlack, "met"},
		{"one byte over", memoryBudget, memoryBudget + memorySlack + 1, "MISSED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := memoryVerdict(tt.budget, tt.peak); got != tt.want {
				t.Errorf("memoryVerdict(%d, %d) = %q, want %q", tt.budget, tt.peak, got, tt.want)
			}
		})
	}
}

func TestMemoryFilesRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		size int64
	}{
		{"whole blocks", 2 * memoryWriteSize},
		{"partial last block", memoryWriteSize + 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			paths := memoryFileNames(t.TempDir())
			ctx := context.Background()
			if err := writeMemoryFiles(ctx, paths, tt.size); err != nil {
				t.Fatal(err)
			}
			if err := readMemoryFiles(ctx, paths, tt.size); err != nil {
				t.Fatalf("reading back what was written: %v", err)
			}
		})
	}
}

func TestReadMemoryFilesCatchesDamage(t *testing.T) {
	const size = 2 * memoryWriteSize
	tests := []struct {
		name   string
		damage func(paths []string) error
	}{
		{"swapped files", func(paths []string) error {
			tmp := paths[0] + ".tmp"
			return errors.Join(os.Rename(paths[0], tmp), os.Rename(paths[1], paths[0]), os.Rename(tmp, paths[1]))
		}},
		{"flipped byte", func(paths []string) error {
			f, err := os.OpenFile(paths[3], os.O_RDWR, 0)
			if err != nil {
				return err
			}
			_, err = f.WriteAt([]byte{0}, memoryWriteSize+500)
			return errors.Join(err, f.Close())
		}},
		{"too long", func(paths []string) error {
			f, err := os.OpenFile(paths[2], os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return err
			}
			_, err = f.Write([]byte{1})
			return errors.Join(err, f.Close())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			paths := memoryFileNames(t.TempDir())
			ctx := context.Background()
			if err := writeMemoryFiles(ctx, paths, size); err != nil {
				t.Fatal(err)
			}
			if err := tt.damage(paths); err != nil {
				t.Fatal(err)
			}
			if err := readMemoryFiles(ctx, paths, size); !errors.Is(err, errContentMismatch) {
				t.Fatalf("readMemoryFiles = %v, want %v", err, errContentMismatch)
			}
		})
	}
}

func TestRSSSamplerReadsOwnProcess(t *testing.T) {
	s := startRSSSampler(os.Getpid(), time.Millisecond)
	peak, samples, err := s.stop()
	if err != nil {
		t.Fatal(err)
	}
	if samples < 1 || peak <= 0 {
		t.Fatalf("peak %d after %d samples, want a positive peak", peak, samples)
	}
}

func TestRSSSamplerReportsMissingProcess(t *testing.T) {
	s := startRSSSampler(0, time.Millisecond) // /proc/0 does not exist
	if _, _, err := s.stop(); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stop() error = %v, want %v", err, os.ErrNotExist)
	}
}

func TestFormatMemoryReport(t *testing.T) {
	results := []memoryRunResult{
		{name: "sealfs-budget-64MiB", budget: memoryBudget, write: memoryPhase{bytes: 1e9, spent: time.Second, peakRSS: 100 << 20},
			read: memoryPhase{bytes: 1e9, spent: 2 * time.Second, peakRSS: 140 << 20}, hwm: 90 << 20},
		{name: "sealfs-unbounded", write: memoryPhase{bytes: 1e9, spent: time.Second}, read: memoryPhase{bytes: 1e9, spent: time.Second}, hwmMissing: true},
	}
	report := formatMemoryReport(results, 512<<20, filepath.Join("/var/tmp", "x"), "ext4")
	for _, want := range []string{"1000.0", "500.0", "140.0 MiB", "MISSED", "n/a", "512MiB"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}
