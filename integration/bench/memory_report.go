package main

import (
	"fmt"
	"strconv"
	"strings"
)

// formatMiB writes a byte count in MiB with one decimal.
func formatMiB(bytes int64) string {
	return fmt.Sprintf("%.1f MiB", float64(bytes)/(1<<20))
}

// memoryVerdict says whether peak meets the target "peak RSS ≤ budget +
// memorySlack"; a run without a budget has no target.
func memoryVerdict(budget, peak int64) string {
	switch {
	case budget == 0:
		return "n/a"
	case peak <= budget+memorySlack:
		return "met"
	default:
		return "MISSED"
	}
}

// formatMemoryReport prints the -memory figures as a table.
func formatMemoryReport(results []memoryRunResult, fileSize int64, workdir, fsName string) string {
	var w strings.Builder
	fmt.Fprintf(&w, "sealfs memory: %d files of %s written concurrently (%s writes, fsync, close), then read back and checked\n",
		memoryFiles, formatSize(fileSize), formatSize(memoryWriteSize))
	fmt.Fprintf(&w, "local store in %s (%s); VmRSS sampled every %v; target: peak RSS <= budget + %s\n\n",
		workdir, fsName, rssSampleInterval, formatSize(memorySlack))
	rows := [][]string{{"mount", "budget", "write MB/s", "read MB/s", "peak RSS write", "peak RSS read", "VmHWM", "samples", "target"}}
	for _, r := range results {
		budget := "none"
		if r.budget > 0 {
			budget = formatSize(r.budget)
		}
		hwm := "?"
		if !r.hwmMissing {
			hwm = formatMiB(r.hwm)
		}
		peak := max(r.write.peakRSS, r.read.peakRSS)
		if !r.hwmMissing {
			peak = max(peak, r.hwm)
		}
		rows = append(rows, []string{
			r.name, budget,
			fmt.Sprintf("%.1f", megabytesPerSecond(r.write.bytes, r.write.spent)),
			fmt.Sprintf("%.1f", megabytesPerSecond(r.read.bytes, r.read.spent)),
			formatMiB(r.write.peakRSS), formatMiB(r.read.peakRSS), hwm,
			strconv.Itoa(r.write.samples + r.read.samples),
			memoryVerdict(r.budget, peak),
		})
	}
	writeTable(&w, rows, 2)
	fmt.Fprintln(&w, "\nthe target is judged on the highest of the sampled peaks and VmHWM (which also covers mount start-up)")
	return w.String()
}
