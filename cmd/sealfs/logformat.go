package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// checkLogFormat validates the log_format setting.
func checkLogFormat(format string) error {
	switch format {
	case "", "text", "json":
		return nil
	}
	return fmt.Errorf("log format %q: want text or json", format)
}

// newLogHandler returns the handler for the daemon's log on w in format
// ("text", the default, or "json"). With journald set (stderr is systemd's
// journal stream), records carry no timestamp (the journal adds its own)
// and each line starts with its syslog priority, "<3>" for errors, which
// journald strips and records as the entry's priority.
func newLogHandler(w io.Writer, format string, journald bool, level slog.Leveler) slog.Handler {
	opts := &slog.HandlerOptions{Level: level}
	if journald {
		opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey) {
				return slog.Attr{}
			}
			return a
		}
		w = &prefixWriter{w: w}
	}
	var h slog.Handler
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	if journald {
		return &journalHandler{inner: h, w: w.(*prefixWriter)}
	}
	return h
}

// underJournal reports whether stderr is the journal stream systemd set up
// for this service: $JOURNAL_STREAM is "DEVICE:INODE" of stderr. A child
// whose stderr was redirected keeps the variable but not the stream.
func underJournal() bool {
	v := os.Getenv("JOURNAL_STREAM")
	if v == "" {
		return false
	}
	devText, inoText, ok := strings.Cut(v, ":")
	if !ok {
		return false
	}
	dev, err1 := strconv.ParseUint(devText, 10, 64)
	ino, err2 := strconv.ParseUint(inoText, 10, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(os.Stderr.Fd()), &st); err != nil {
		return false
	}
	return uint64(st.Dev) == dev && st.Ino == ino
}

// syslogPriority maps a slog level to a syslog priority (sd-daemon(3)).
func syslogPriority(l slog.Level) int {
	switch {
	case l >= slog.LevelError:
		return 3 // err
	case l >= slog.LevelWarn:
		return 4 // warning
	case l >= slog.LevelInfo:
		return 6 // info
	}
	return 7 // debug
}

// prefixWriter writes the next record's "<N>" priority prefix and the
// record as one write, so lines from concurrent records never interleave.
type prefixWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	line := make([]byte, 0, len(p.prefix)+len(b))
	line = append(append(line, p.prefix...), b...)
	if _, err := p.w.Write(line); err != nil {
		return 0, err
	}
	return len(b), nil
}

// journalHandler sets its writer's priority prefix for each record. The
// writer's lock is held across the inner Handle, which writes one line.
type journalHandler struct {
	inner slog.Handler
	w     *prefixWriter
}

func (h *journalHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *journalHandler) Handle(ctx context.Context, r slog.Record) error {
	h.w.mu.Lock()
	defer h.w.mu.Unlock()
	h.w.prefix = "<" + strconv.Itoa(syslogPriority(r.Level)) + ">"
	return h.inner.Handle(ctx, r)
}

func (h *journalHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &journalHandler{inner: h.inner.WithAttrs(attrs), w: h.w}
}

func (h *journalHandler) WithGroup(name string) slog.Handler {
	return &journalHandler{inner: h.inner.WithGroup(name), w: h.w}
}
