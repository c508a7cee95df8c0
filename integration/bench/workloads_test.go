package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// smallConfig keeps the workloads fast enough for a unit test, with a last
// sequential block that is not full.
var smallConfig = config{seqSize: 3*seqBlockSize + 12345, files: 40, fileSize: 10000}

func TestWorkloadsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	w := newWorkspace(dir, newPattern(seqBlockSize), smallConfig)
	for rep := 1; rep <= 2; rep++ {
		for _, load := range workloads {
			figure, spent, err := load.run(context.Background(), w)
			if err != nil {
				t.Fatalf("rep %d, %s: %v", rep, load.name, err)
			}
			if figure <= 0 || spent <= 0 {
				t.Errorf("rep %d, %s: figure %v, time %v; want both positive", rep, load.name, figure, spent)
			}
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 0 {
			t.Fatalf("rep %d left %d entries behind, first %q", rep, len(entries), entries[0].Name())
		}
	}
}

func TestOrthancNames(t *testing.T) {
	names, err := orthancNames(50)
	if err != nil {
		t.Fatal(err)
	}
	layout := regexp.MustCompile(`^([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$`)
	seen := map[string]bool{}
	for _, name := range names {
		m := layout.FindStringSubmatch(name)
		if m == nil {
			t.Fatalf("name %q is not xx/yy/<uuid v4>", name)
		}
		if m[1]+m[2] != m[3][:4] {
			t.Errorf("name %q: directories are not the uuid's first four digits", name)
		}
		if seen[name] {
			t.Errorf("name %q repeated", name)
		}
		seen[name] = true
	}
}

func TestOrthancReadCatchesCorruption(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(path string) error
	}{
		{name: "flipped byte", corrupt: func(path string) error {
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteAt([]byte{0xff, 0xfe}, 5000)
			return err
		}},
		{name: "truncated", corrupt: func(path string) error { return os.Truncate(path, 9999) }},
		{name: "grown", corrupt: func(path string) error { return os.Truncate(path, 10001) }},
		{name: "swapped", corrupt: func(path string) error {
			// Another file's bytes, as a wrong object served for this path.
			other, err := filepath.Glob(filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(path))), "*", "*", "*"))
			if err != nil {
				return err
			}
			for _, candidate := range other {
				if candidate != path {
					data, err := os.ReadFile(candidate)
					if err != nil {
						return err
					}
					return os.WriteFile(path, data, 0o644)
				}
			}
			return errors.New("no other file")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			w := newWorkspace(dir, newPattern(seqBlockSize), smallConfig)
			if _, _, err := orthancWrite(context.Background(), w); err != nil {
				t.Fatal(err)
			}
			if err := tt.corrupt(filepath.Join(dir, w.files[len(w.files)/2])); err != nil {
				t.Fatal(err)
			}
			if _, _, err := orthancReadCold(context.Background(), w); !errors.Is(err, errContentMismatch) {
				t.Fatalf("orthancReadCold after corruption = %v, want errContentMismatch", err)
			}
		})
	}
}

func TestSeqReadCatchesCorruption(t *testing.T) {
	tests := []struct {
		name string
		size int64
	}{
		{name: "truncated at a block boundary", size: 2 * seqBlockSize},
		{name: "truncated inside a block", size: 2*seqBlockSize + 100},
		{name: "grown", size: smallConfig.seqSize + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			w := newWorkspace(dir, newPattern(seqBlockSize), smallConfig)
			if _, _, err := seqWrite(context.Background(), w); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(filepath.Join(dir, seqFileName), tt.size); err != nil {
				t.Fatal(err)
			}
			if _, _, err := seqReadCold(context.Background(), w); !errors.Is(err, errContentMismatch) {
				t.Fatalf("seqReadCold = %v, want errContentMismatch", err)
			}
		})
	}
}

func TestWorkloadsStopWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := newWorkspace(t.TempDir(), newPattern(seqBlockSize), smallConfig)
	if _, _, err := seqWrite(ctx, w); !errors.Is(err, context.Canceled) {
		t.Fatalf("seqWrite with a cancelled context = %v, want context.Canceled", err)
	}
	if _, _, err := orthancWrite(ctx, w); !errors.Is(err, context.Canceled) {
		t.Fatalf("orthancWrite with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestOrthancDeleteKeepsSharedDirectories(t *testing.T) {
	dir := t.TempDir()
	w := newWorkspace(dir, newPattern(seqBlockSize), smallConfig)
	w.files = []string{"ab/cd/one", "ab/cd/two", "ab/ef/three"}
	for _, name := range w.files {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := orthancDelete(context.Background(), w); err != nil {
		t.Fatalf("orthancDelete: %v", err)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Fatalf("after delete: %v entries, err %v; want an empty directory", entries, err)
	}
}
