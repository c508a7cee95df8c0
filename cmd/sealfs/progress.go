package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows a maintenance run's progress: a bar on a terminal
// (objects, bytes, rate, ETA), plain lines every interval otherwise.
type progress struct {
	op       string
	w        io.Writer
	interval time.Duration
	terminal bool
	bar      *progressbar.ProgressBar // set by Start on a terminal
	start    time.Time

	total, totalBytes atomic.Int64
	done, doneBytes   atomic.Int64
	failed            atomic.Int64

	stop chan struct{}
	wg   sync.WaitGroup
}

// newProgress shows op's progress on stderr.
func newProgress(op string, interval time.Duration) *progress {
	return &progress{op: op, w: os.Stderr, interval: interval, start: time.Now(), stop: make(chan struct{}),
		terminal: term.IsTerminal(int(os.Stderr.Fd()))}
}

// Start implements maintain.Progress.
func (p *progress) Start(objects, bytes int64) {
	p.total.Store(objects)
	p.totalBytes.Store(bytes)
	p.start = time.Now()
	if p.terminal {
		p.bar = progressbar.NewOptions64(max(bytes, 1),
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionShowBytes(true),
			progressbar.OptionUseIECUnits(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionSetDescription(p.counts()),
			progressbar.OptionFullWidth(),
		)
	}
	p.wg.Go(p.loop)
}

// Done implements maintain.Progress.
func (p *progress) Done(bytes int64, failed bool) {
	p.done.Add(1)
	p.doneBytes.Add(bytes)
	if failed {
		p.failed.Add(1)
	}
	if p.bar != nil {
		p.bar.Add64(bytes)
	}
}

func (p *progress) loop() {
	every := p.interval
	if p.bar != nil {
		every = 500 * time.Millisecond
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
			if p.bar != nil {
				p.bar.Describe(p.counts())
			} else {
				fmt.Fprintln(p.w, p.line())
			}
		}
	}
}

func (p *progress) counts() string {
	s := fmt.Sprintf("%s %d/%d objects", p.op, p.done.Load(), p.total.Load())
	if f := p.failed.Load(); f > 0 {
		s += fmt.Sprintf(", %d failed", f)
	}
	return s
}

// line is one plain progress line: counts, bytes, rate and ETA.
func (p *progress) line() string {
	done, total := p.doneBytes.Load(), p.totalBytes.Load()
	secs := time.Since(p.start).Seconds()
	rate := float64(done) / max(secs, 1e-3)
	eta := "?"
	if rate > 0 && total >= done {
		eta = (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second).String()
	}
	return fmt.Sprintf("%s: %s, %s of %s, %s/s, ETA %s", p.op, p.counts()[len(p.op)+1:], humanBytes(done), humanBytes(total), humanBytes(int64(rate)), eta)
}

// Close stops the display.
func (p *progress) Close() {
	select {
	case <-p.stop:
		return
	default:
	}
	close(p.stop)
	p.wg.Wait()
	if p.bar == nil {
		fmt.Fprintln(p.w, p.line())
	} else {
		p.bar.Describe(p.counts())
		p.bar.Finish()
		fmt.Fprintln(p.w) // the summary starts on a line of its own
	}
}

// humanBytes formats n with a binary unit: 512 B, 1.5 KiB, 3.2 GiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
