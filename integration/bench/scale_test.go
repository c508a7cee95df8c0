package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestScaleSizes(t *testing.T) {
	tests := []struct {
		most int
		want []int
	}{
		{200, []int{200}},
		{1000, []int{1000}},
		{20000, []int{1000, 10000, 20000}},
		{100000, []int{1000, 10000, 100000}},
		{250000, []int{1000, 10000, 100000, 250000}},
	}
	for _, tt := range tests {
		if got := scaleSizes(tt.most); !slices.Equal(got, tt.want) {
			t.Errorf("scaleSizes(%d) = %v, want %v", tt.most, got, tt.want)
		}
	}
}

// populatedScaleStore writes count files into a plain directory as -scale
// does through a mount.
func populatedScaleStore(t *testing.T, count int) (*scaleStore, string) {
	t.Helper()
	root := t.TempDir()
	names, err := orthancNames(count)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeScaleFiles(context.Background(), root, names, 0); err != nil {
		t.Fatal(err)
	}
	store := newScaleStore(1)
	store.add(names)
	return store, root
}

func TestScaleProbesPassOnWhatWasWritten(t *testing.T) {
	store, root := populatedScaleStore(t, 300)
	for _, p := range store.probes() {
		if err := p.run(context.Background(), root); err != nil {
			t.Errorf("%s: %v", p.name, err)
		}
	}
}

func TestScaleProbesCatchDisagreement(t *testing.T) {
	tests := []struct {
		probe  string
		damage func(store *scaleStore, root string) error
	}{
		{"stat existing", func(store *scaleStore, root string) error {
			// Truncate every file: whichever are probed are wrong.
			for _, name := range store.names {
				if err := os.Truncate(filepath.Join(root, name), 1); err != nil {
					return err
				}
			}
			return nil
		}},
		{"ls xx/yy", func(store *scaleStore, root string) error {
			for dir := range store.dirs {
				if err := os.WriteFile(filepath.Join(root, dir, "extra"), nil, 0o644); err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.probe, func(t *testing.T) {
			store, root := populatedScaleStore(t, 100)
			if err := tt.damage(store, root); err != nil {
				t.Fatal(err)
			}
			for _, p := range store.probes() {
				if p.name != tt.probe {
					continue
				}
				if err := p.run(context.Background(), root); !errors.Is(err, errScaleProbe) {
					t.Fatalf("%s = %v, want %v", p.name, err, errScaleProbe)
				}
			}
		})
	}
}

func TestStatAllMissingCatchesExisting(t *testing.T) {
	store, root := populatedScaleStore(t, 10)
	err := statAll(context.Background(), root, store.names[:1], false)
	if !errors.Is(err, errScaleProbe) {
		t.Fatalf("statAll(existing, exist=false) = %v, want %v", err, errScaleProbe)
	}
}

func TestWriteScaleFilesRefusesExisting(t *testing.T) {
	store, root := populatedScaleStore(t, 5)
	if err := writeScaleFiles(context.Background(), root, store.names[:1], 0); !errors.Is(err, os.ErrExist) {
		t.Fatalf("rewriting an existing name = %v, want %v", err, os.ErrExist)
	}
}

func TestFormatScaleReport(t *testing.T) {
	rows := []scaleRow{
		{tier: scaleTierLocal, files: 1000, phase: "stat existing, cold", ops: 200, spent: 100 * time.Millisecond},
		{tier: scaleTierS3, files: 1000, phase: "stat existing, cold", ops: 200, spent: 200 * time.Millisecond,
			counts: requestCounts{"GET ListObjectsV2": 400, "HEAD HeadObject": 1}},
		{tier: scaleTierS3, files: 1000, phase: "stat existing, warm", ops: 200, spent: time.Millisecond, counts: requestCounts{}},
	}
	report := formatScaleReport(rows, "/var/tmp/x")
	for _, want := range []string{"500", "1000", "401", "2.00", "GET ListObjectsV2=400, HEAD HeadObject=1", "none"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}
