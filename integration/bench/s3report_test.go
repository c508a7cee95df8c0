package main

import (
	"strings"
	"testing"
)

func TestSummarizeS3Ratios(t *testing.T) {
	samples := []sample{
		{Workload: "seq write", Target: targetSealfs, Rep: 1, Value: 300},
		{Workload: "seq write", Target: targetRclone, Rep: 1, Value: 100},
		{Workload: "seq write", Target: targetS3fs, Rep: 1, Value: 150},
		{Workload: "orthanc write", Target: targetSealfs, Rep: 1, Value: 90},
		{Workload: "orthanc write", Target: targetRclone, Rep: 1, Value: 0},
		{Workload: "orthanc write", Target: targetS3fs, Rep: 1, Value: 30},
	}
	summaries := summarizeS3(samples)
	want := map[string][]ratio{
		"seq write":     {{"sealfs/rclone", 3}, {"sealfs/s3fs", 2}},
		"orthanc write": {{"sealfs/rclone", 0}, {"sealfs/s3fs", 3}},
	}
	for _, s := range summaries {
		w, ok := want[s.Name]
		if !ok {
			continue
		}
		if len(s.Ratios) != len(w) {
			t.Fatalf("%s: ratios %+v, want %+v", s.Name, s.Ratios, w)
		}
		for i := range w {
			if s.Ratios[i] != w[i] {
				t.Errorf("%s: ratio %+v, want %+v", s.Name, s.Ratios[i], w[i])
			}
		}
	}
}

func TestFormatS3Report(t *testing.T) {
	samples := []sample{{Workload: "orthanc write", Target: targetSealfs, Rep: 1, Value: 120}}
	r := s3Results{
		results: results{
			Settings:  settings{Targets: s3Targets, SeqSize: 1 << 20, Files: 4, FileSize: 10, Reps: 1, CachesDropped: true},
			Workloads: summarizeS3(samples),
			Samples:   samples,
		},
		Requests: []requestSample{
			{Target: targetSealfs, Workload: "orthanc write", Rep: 1, Files: 4,
				Counts: requestCounts{"PUT PutObject": 4, "HEAD HeadObject": 2}},
			{Target: targetRclone, Workload: "orthanc write", Rep: 1, Files: 4,
				Counts: requestCounts{"PUT PutObject": 4, "HEAD HeadObject": 8, "GET ListObjectsV2": 4}},
		},
		RequestsOutsidePhases: requestCounts{"HEAD HeadBucket": 1},
	}
	var b strings.Builder
	formatS3Report(&b, r)
	out := b.String()
	for _, want := range []string{
		"sealfs/rclone", "sealfs/s3fs", "120.0",
		"total/file", "HEAD HeadObject", "PUT PutObject",
		"orthanc write  4            1.50             0.50           1.00",
		"orthanc write      6",
		"HEAD HeadBucket 1",
		"every target",
		"orthanc write        1.50    4.00     -",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestFilesTouched(t *testing.T) {
	cfg := config{files: 300}
	tests := []struct {
		workload       string
		touched, wrote int
	}{
		{"seq write", 1, 1},
		{"seq read cold", 1, 0},
		{"orthanc write", 300, 300},
		{"orthanc read cold", 300, 0},
		{"orthanc delete", 300, 0},
	}
	for _, tt := range tests {
		if got := filesTouched(tt.workload, cfg); got != tt.touched {
			t.Errorf("filesTouched(%s) = %d, want %d", tt.workload, got, tt.touched)
		}
		if got := filesWritten(tt.workload, cfg); got != tt.wrote {
			t.Errorf("filesWritten(%s) = %d, want %d", tt.workload, got, tt.wrote)
		}
	}
}
