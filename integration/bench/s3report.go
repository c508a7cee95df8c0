package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// s3RatioPairs are the ratios of the S3 comparison.
var s3RatioPairs = [][2]string{{targetSealfs, targetRclone}, {targetSealfs, targetS3fs}}

// s3Results is everything the S3 comparison reports.
type s3Results struct {
	results
	Requests              []requestSample `json:"requests"` // every target's
	RequestsOutsidePhases requestCounts   `json:"sealfs_requests_outside_phases"`
}

// summarizeS3 computes each workload's medians and the S3 ratios.
func summarizeS3(samples []sample) []workloadSummary {
	summaries := summarize(samples, s3Targets, workloads)
	for i := range summaries {
		summary := &summaries[i]
		summary.Ratios = nil
		for _, pair := range s3RatioPairs {
			value := 0.0
			if denominator := summary.Median[pair[1]]; denominator != 0 {
				value = summary.Median[pair[0]] / denominator
			}
			summary.Ratios = append(summary.Ratios, ratio{Name: pair[0] + "/" + pair[1], Value: value})
		}
	}
	return summaries
}

// writeS3Report prints the S3 comparison as aligned tables with notes.
func writeS3Report(w io.Writer, r s3Results) error {
	var b strings.Builder
	formatS3Report(&b, r)
	_, err := io.WriteString(w, b.String())
	return err
}

// formatS3Report lays the S3 comparison out as text.
func formatS3Report(w *strings.Builder, r s3Results) {
	s := r.Settings
	fmt.Fprintf(w, "sealfs S3 bench (one MinIO): sequential file %s, %d Orthanc files of %d bytes, median of %d reps\n",
		formatSize(s.SeqSize), s.Files, s.FileSize, s.Reps)
	fmt.Fprintf(w, "work directory: %s (%s)\n", s.Workdir, s.WorkdirFS)
	if s.CachesDropped {
		fmt.Fprintln(w, "caches: dropped before every phase; rclone remounted with an empty cache before each cold read")
	} else {
		fmt.Fprintln(w, "caches: NOT dropped (needs root): cold reads may have been served from the page cache")
	}
	fmt.Fprintln(w, "rclone writes are timed until uploaded (core/stats transfers); every target talks to MinIO through its own counting proxy")
	fmt.Fprintln(w, "MB/s = 10^6 bytes per second; a ratio above 1 means sealfs is faster")
	fmt.Fprintln(w)

	header := append([]string{"workload", "unit"}, s.Targets...)
	for _, pair := range s3RatioPairs {
		header = append(header, pair[0]+"/"+pair[1])
	}
	rows := [][]string{header}
	for _, summary := range r.Workloads {
		row := []string{summary.Name, summary.Unit}
		for _, name := range s.Targets {
			row = append(row, strconv.FormatFloat(summary.Median[name], 'f', 1, 64))
		}
		for _, rt := range summary.Ratios {
			row = append(row, strconv.FormatFloat(rt.Value, 'f', 2, 64)+"x")
		}
		rows = append(rows, row)
	}
	writeTable(w, rows, 2)

	fmt.Fprintln(w, "\nevery repetition:")
	header = []string{"workload", "target"}
	for rep := 1; rep <= s.Reps; rep++ {
		header = append(header, "rep "+strconv.Itoa(rep))
	}
	rows = [][]string{header}
	for _, summary := range r.Workloads {
		for _, name := range s.Targets {
			row := []string{summary.Name, name}
			for _, value := range valuesOf(r.Samples, summary.Name, name) {
				row = append(row, strconv.FormatFloat(value, 'f', 1, 64))
			}
			rows = append(rows, row)
		}
	}
	writeTable(w, rows, 2)

	if len(r.PeakRSSBytes) > 0 {
		var parts []string
		for _, name := range s.Targets {
			if rss, ok := r.PeakRSSBytes[name]; ok {
				parts = append(parts, fmt.Sprintf("%s %.1f MiB", name, float64(rss)/(1<<20)))
			}
		}
		fmt.Fprintf(w, "\npeak RSS of the daemons (VmHWM; rclone: its last mount only): %s\n", strings.Join(parts, ", "))
	}
	formatRequests(w, r)
}

// formatRequests prints every target's requests to MinIO per file of each
// workload, then sealfs's by operation, averaged over the repetitions.
func formatRequests(w *strings.Builder, r s3Results) {
	formatRequestsByTarget(w, r)
	var sealfs []requestSample
	for _, rs := range r.Requests {
		if rs.Target == targetSealfs {
			sealfs = append(sealfs, rs)
		}
	}
	if len(sealfs) == 0 {
		return
	}
	r.Requests = sealfs
	all := make([]requestCounts, 0, len(r.Requests))
	for _, rs := range r.Requests {
		all = append(all, rs.Counts)
	}
	ops := operations(all...)
	fmt.Fprintf(w, "\nsealfs requests to MinIO per file (seq: per %s file), mean over %d reps:\n", formatSize(r.Settings.SeqSize), r.Settings.Reps)
	header := append([]string{"workload", "files", "total/file"}, ops...)
	rows := [][]string{header}
	for _, summary := range r.Workloads {
		sum, files := requestCounts{}, 0
		for _, rs := range r.Requests {
			if rs.Workload == summary.Name {
				mergeCounts(sum, rs.Counts)
				files += rs.Files
			}
		}
		if files == 0 {
			continue
		}
		row := []string{summary.Name, strconv.Itoa(files / r.Settings.Reps), perFile(sum.total(), files)}
		for _, op := range ops {
			row = append(row, perFile(sum[op], files))
		}
		rows = append(rows, row)
	}
	writeTable(w, rows, 2)
	fmt.Fprintln(w, "requests per repetition (total):")
	header = []string{"workload"}
	for rep := 1; rep <= r.Settings.Reps; rep++ {
		header = append(header, "rep "+strconv.Itoa(rep))
	}
	rows = [][]string{header}
	for _, summary := range r.Workloads {
		row := []string{summary.Name}
		for _, rs := range r.Requests {
			if rs.Workload == summary.Name {
				row = append(row, strconv.Itoa(rs.Counts.total()))
			}
		}
		if len(row) > 1 {
			rows = append(rows, row)
		}
	}
	writeTable(w, rows, 1)
	if len(r.RequestsOutsidePhases) > 0 {
		var parts []string
		for _, op := range operations(r.RequestsOutsidePhases) {
			parts = append(parts, fmt.Sprintf("%s %d", op, r.RequestsOutsidePhases[op]))
		}
		fmt.Fprintf(w, "sealfs requests between its measured phases (mount, background): %s\n", strings.Join(parts, ", "))
	}
}

// formatRequestsByTarget prints the requests per file that each target
// sent to MinIO in each workload, averaged over the repetitions.
func formatRequestsByTarget(w *strings.Builder, r s3Results) {
	if len(r.Requests) == 0 {
		return
	}
	fmt.Fprintf(w, "\nrequests to MinIO per file (seq: per %s file), every target, mean over %d reps:\n", formatSize(r.Settings.SeqSize), r.Settings.Reps)
	rows := [][]string{append([]string{"workload"}, s3Targets...)}
	for _, summary := range r.Workloads {
		row := []string{summary.Name}
		for _, name := range s3Targets {
			total, files := 0, 0
			for _, rs := range r.Requests {
				if rs.Workload == summary.Name && rs.Target == name {
					total += rs.Counts.total()
					files += rs.Files
				}
			}
			row = append(row, perFile(total, files))
		}
		rows = append(rows, row)
	}
	writeTable(w, rows, 1)
}

// perFile formats count/files with two decimals, or "-" for none.
func perFile(count, files int) string {
	if count == 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(count)/float64(files), 'f', 2, 64)
}

// writeS3JSON writes the S3 comparison to path as indented JSON.
func writeS3JSON(path string, r s3Results) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding results: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	return nil
}
