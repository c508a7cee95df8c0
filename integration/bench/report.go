package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// sample is one measurement: one workload on one target in one repetition.
type sample struct {
	Workload string  `json:"workload"`
	Target   string  `json:"target"`
	Rep      int     `json:"rep"`
	Value    float64 `json:"value"`
	Seconds  float64 `json:"seconds"`
}

// ratio is the median of one target divided by the median of another.
type ratio struct {
	Name  string  `json:"name"` // "sealfs/plain"
	Value float64 `json:"value"`
}

// workloadSummary holds the medians and ratios of one workload.
type workloadSummary struct {
	Name   string             `json:"name"`
	Unit   string             `json:"unit"`
	Median map[string]float64 `json:"median"`
	Ratios []ratio            `json:"ratios"`
}

// settings records how the run was made, for the report and the JSON file.
type settings struct {
	Targets       []string `json:"targets"`
	SeqSize       int64    `json:"seq_size_bytes"`
	Files         int      `json:"files"`
	FileSize      int64    `json:"file_size_bytes"`
	Reps          int      `json:"reps"`
	Workdir       string   `json:"workdir"`
	WorkdirFS     string   `json:"workdir_filesystem"`
	CachesDropped bool     `json:"caches_dropped"`
}

// results is everything the bench reports.
type results struct {
	Settings     settings          `json:"settings"`
	Workloads    []workloadSummary `json:"workloads"`
	PeakRSSBytes map[string]int64  `json:"peak_rss_bytes,omitempty"`
	Samples      []sample          `json:"samples"`
}

// median returns the middle value (the mean of the two middle values for an
// even count), or 0 for no values.
func median(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	middle := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[middle]
	}
	return (sorted[middle-1] + sorted[middle]) / 2
}

// ratioPairs lists the ratios worth printing for these targets: each target
// against plain, and sealfs against gocryptfs.
func ratioPairs(targets []string) [][2]string {
	var pairs [][2]string
	if slices.Contains(targets, targetPlain) {
		for _, name := range targets {
			if name != targetPlain {
				pairs = append(pairs, [2]string{name, targetPlain})
			}
		}
	}
	if slices.Contains(targets, targetSealfs) && slices.Contains(targets, targetGocryptfs) {
		pairs = append(pairs, [2]string{targetSealfs, targetGocryptfs})
	}
	return pairs
}

// summarize computes each workload's medians per target and their ratios.
func summarize(samples []sample, targets []string, loads []workload) []workloadSummary {
	summaries := make([]workloadSummary, 0, len(loads))
	for _, load := range loads {
		summary := workloadSummary{Name: load.name, Unit: load.unit, Median: map[string]float64{}}
		for _, name := range targets {
			summary.Median[name] = median(valuesOf(samples, load.name, name))
		}
		for _, pair := range ratioPairs(targets) {
			value := 0.0
			if denominator := summary.Median[pair[1]]; denominator != 0 {
				value = summary.Median[pair[0]] / denominator
			}
			summary.Ratios = append(summary.Ratios, ratio{Name: pair[0] + "/" + pair[1], Value: value})
		}
		summaries = append(summaries, summary)
	}
	return summaries
}

// valuesOf returns the values of one workload on one target, in rep order.
func valuesOf(samples []sample, load, target string) []float64 {
	var values []float64
	for _, s := range samples {
		if s.Workload == load && s.Target == target {
			values = append(values, s.Value)
		}
	}
	return values
}

// writeReport prints the results as aligned tables with notes.
func writeReport(w io.Writer, r results) error {
	var b strings.Builder
	formatReport(&b, r)
	_, err := io.WriteString(w, b.String())
	return err
}

// formatReport lays the results out as text.
func formatReport(w *strings.Builder, r results) {
	s := r.Settings
	fmt.Fprintf(w, "sealfs bench: sequential file %s, %d Orthanc files of %d bytes, median of %d reps\n",
		formatSize(s.SeqSize), s.Files, s.FileSize, s.Reps)
	fmt.Fprintf(w, "work directory: %s (%s)\n", s.Workdir, s.WorkdirFS)
	if s.CachesDropped {
		fmt.Fprintln(w, "caches: dropped before every phase")
	} else {
		fmt.Fprintln(w, "caches: NOT dropped (needs root): cold reads may have been served from the page cache")
	}
	fmt.Fprintln(w, "MB/s = 10^6 bytes per second; a ratio above 1 means faster than the target it is divided by")
	fmt.Fprintln(w)

	header := append([]string{"workload", "unit"}, s.Targets...)
	for _, pair := range ratioPairs(s.Targets) {
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
		fmt.Fprintf(w, "\npeak RSS of the daemons (VmHWM): %s\n", strings.Join(parts, ", "))
	}
}

// writeTable prints rows as aligned columns, the first leftColumns aligned
// left (names) and the others right (numbers).
func writeTable(w *strings.Builder, rows [][]string, leftColumns int) {
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], len(cell))
		}
	}
	for _, row := range rows {
		var line strings.Builder
		for i, cell := range row {
			if i > 0 {
				line.WriteString("  ")
			}
			if i < leftColumns {
				fmt.Fprintf(&line, "%-*s", widths[i], cell)
			} else {
				fmt.Fprintf(&line, "%*s", widths[i], cell)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(line.String(), " "))
	}
}

// writeJSON writes the results to path as indented JSON.
func writeJSON(path string, r results) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding results: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	return nil
}
