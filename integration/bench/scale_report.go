package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// scaleRow is one measured phase of -scale.
type scaleRow struct {
	tier   string
	files  int // files in the store
	phase  string
	ops    int
	spent  time.Duration
	counts requestCounts // nil on the local tier
}

// microsPerOp returns the mean time of one operation in microseconds.
func (r scaleRow) microsPerOp() float64 {
	if r.ops == 0 {
		return 0
	}
	return float64(r.spent.Microseconds()) / float64(r.ops)
}

// formatCounts writes counts as "GET ListObjectsV2=3, HEAD HeadObject=1".
func formatCounts(counts requestCounts) string {
	if counts == nil {
		return "-"
	}
	if len(counts) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(counts))
	for _, op := range operations(counts) {
		parts = append(parts, op+"="+strconv.Itoa(counts[op]))
	}
	return strings.Join(parts, ", ")
}

// formatScaleReport prints the -scale rows as one table.
func formatScaleReport(rows []scaleRow, workdir string) string {
	var w strings.Builder
	fmt.Fprintf(&w, "sealfs scale: files of %d B at xx/yy/uuid written through the mount; probes one after the other:\n", scaleFileSize)
	fmt.Fprintf(&w, "%d stats of existing files, %d ls of xx/yy directories, %d stats of missing names in existing directories\n",
		scaleProbeFiles, scaleProbeDirs, scaleProbeFiles)
	fmt.Fprintf(&w, "cold = just remounted with an empty state dir; warm = second pass on the same mount;\nafter remount = third pass, after a remount that kept the state dir; kernel caches dropped before each probe (root: %v)\n",
		os.Geteuid() == 0)
	fmt.Fprintf(&w, "requests counted by a proxy in front of MinIO; work directory %s\n\n", workdir)
	table := [][]string{{"tier", "files", "phase", "ops", "total ms", "us/op", "requests", "req/op", "requests by method"}}
	for _, r := range rows {
		requests, perOp := "-", "-"
		if r.counts != nil {
			requests = strconv.Itoa(r.counts.total())
			perOp = fmt.Sprintf("%.2f", float64(r.counts.total())/float64(max(r.ops, 1)))
		}
		table = append(table, []string{
			r.tier, strconv.Itoa(r.files), r.phase, strconv.Itoa(r.ops),
			fmt.Sprintf("%.1f", float64(r.spent.Microseconds())/1000), fmt.Sprintf("%.0f", r.microsPerOp()),
			requests, perOp, formatCounts(r.counts),
		})
	}
	writeTable(&w, table, 3)
	return w.String()
}
