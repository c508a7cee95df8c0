package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// rssSampleInterval is how often the RSS sampler reads /proc/PID/status.
const rssSampleInterval = 100 * time.Millisecond

// rssSampler reads a process's VmRSS at a fixed interval and keeps the
// highest value seen.
type rssSampler struct {
	done   chan struct{}
	result chan rssSummary
}

// rssSummary is what an rssSampler saw.
type rssSummary struct {
	peak    int64 // bytes
	samples int
	err     error // the first failed read, if any
}

// startRSSSampler starts sampling the VmRSS of process pid every interval,
// beginning at once.
func startRSSSampler(pid int, interval time.Duration) *rssSampler {
	s := &rssSampler{done: make(chan struct{}), result: make(chan rssSummary, 1)}
	path := filepath.Join("/proc", strconv.Itoa(pid), "status")
	go func() {
		var sum rssSummary
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for {
			rss, err := readStatusBytes(path, "VmRSS")
			if err != nil && sum.err == nil {
				sum.err = err
			}
			sum.peak, sum.samples = max(sum.peak, rss), sum.samples+1
			select {
			case <-s.done:
				s.result <- sum
				return
			case <-ticker.C:
			}
		}
	}()
	return s
}

// stop ends the sampling after one last sample and returns the peak VmRSS
// in bytes and the number of samples taken.
func (s *rssSampler) stop() (peak int64, samples int, err error) {
	close(s.done)
	sum := <-s.result
	return sum.peak, sum.samples, sum.err
}

// readStatusBytes reads a kB field of a /proc/PID/status file in bytes.
func readStatusBytes(path, field string) (int64, error) {
	file, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", field, err)
	}
	defer file.Close()
	kib, err := statusKiB(file, field)
	if err != nil {
		return 0, fmt.Errorf("reading %s of %s: %w", field, path, err)
	}
	return kib << 10, nil
}
