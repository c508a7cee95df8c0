package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{in: nil, want: 0},
		{in: []float64{5}, want: 5},
		{in: []float64{3, 1, 2}, want: 2},
		{in: []float64{4, 1, 3, 2}, want: 2.5},
		{in: []float64{10, 10, 1}, want: 10},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestMedianLeavesInputAlone(t *testing.T) {
	in := []float64{3, 1, 2}
	median(in)
	if !reflect.DeepEqual(in, []float64{3, 1, 2}) {
		t.Fatalf("median reordered its input: %v", in)
	}
}

func TestRatioPairs(t *testing.T) {
	tests := []struct {
		targets []string
		want    [][2]string
	}{
		{targets: []string{"plain", "sealfs", "gocryptfs"}, want: [][2]string{{"sealfs", "plain"}, {"gocryptfs", "plain"}, {"sealfs", "gocryptfs"}}},
		{targets: []string{"plain", "gocryptfs"}, want: [][2]string{{"gocryptfs", "plain"}}},
		{targets: []string{"sealfs", "gocryptfs"}, want: [][2]string{{"sealfs", "gocryptfs"}}},
		{targets: []string{"plain"}, want: nil},
	}
	for _, tt := range tests {
		if got := ratioPairs(tt.targets); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ratioPairs(%v) = %v, want %v", tt.targets, got, tt.want)
		}
	}
}

func testSamples() []sample {
	return []sample{
		{Workload: "seq write", Target: "plain", Rep: 1, Value: 100},
		{Workload: "seq write", Target: "gocryptfs", Rep: 1, Value: 40},
		{Workload: "seq write", Target: "plain", Rep: 2, Value: 300},
		{Workload: "seq write", Target: "gocryptfs", Rep: 2, Value: 60},
		{Workload: "seq write", Target: "plain", Rep: 3, Value: 200},
		{Workload: "seq write", Target: "gocryptfs", Rep: 3, Value: 50},
	}
}

func TestSummarize(t *testing.T) {
	loads := []workload{{name: "seq write", unit: "MB/s"}}
	got := summarize(testSamples(), []string{"plain", "gocryptfs"}, loads)
	want := []workloadSummary{{
		Name:   "seq write",
		Unit:   "MB/s",
		Median: map[string]float64{"plain": 200, "gocryptfs": 50},
		Ratios: []ratio{{Name: "gocryptfs/plain", Value: 0.25}},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("summarize = %+v, want %+v", got, want)
	}
}

func TestSummarizeZeroDenominator(t *testing.T) {
	loads := []workload{{name: "orthanc delete", unit: "files/s"}}
	got := summarize(nil, []string{"plain", "sealfs"}, loads)
	if len(got) != 1 || len(got[0].Ratios) != 1 || got[0].Ratios[0].Value != 0 {
		t.Fatalf("summarize without samples = %+v, want one ratio of 0", got)
	}
}

func testResults() results {
	targets := []string{"plain", "gocryptfs"}
	samples := testSamples()
	return results{
		Settings:     settings{Targets: targets, SeqSize: 1 << 30, Files: 300, FileSize: 537600, Reps: 3, Workdir: "/var/tmp/x", WorkdirFS: "ext4"},
		Workloads:    summarize(samples, targets, []workload{{name: "seq write", unit: "MB/s"}}),
		PeakRSSBytes: map[string]int64{"gocryptfs": 3 << 20},
		Samples:      samples,
	}
}

func TestWriteReport(t *testing.T) {
	var out bytes.Buffer
	if err := writeReport(&out, testResults()); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"sequential file 1GiB, 300 Orthanc files of 537600 bytes, median of 3 reps",
		"caches: NOT dropped",
		"gocryptfs/plain",
		"200.0",
		"0.25x",
		"gocryptfs 3.0 MiB",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	// The median table's rows line up: every line of it has the same width.
	lines := strings.Split(text, "\n")
	start := -1
	for i, line := range lines {
		if strings.Contains(line, "workload") {
			start = i
			break
		}
	}
	if start < 0 || len(lines[start]) != len(lines[start+1]) {
		t.Errorf("median table is not aligned:\n%s", text)
	}
}

func TestWriteJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	want := testResults()
	if err := writeJSON(path, want); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got results
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("results.json does not decode: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("results.json = %+v, want %+v", got, want)
	}
}
