package keyring

import (
	"context"
	"log/slog"
	"time"
)

// EventKind says what an audit event records.
type EventKind string

// Audit event kinds.
const (
	KeyLoaded       EventKind = "key-loaded"
	KeyLoadFailed   EventKind = "key-load-failed"
	UnknownKeyUsed  EventKind = "unknown-key"
	RevokedKeyUsed  EventKind = "revoked-key-used"
	UnwrapFailed    EventKind = "unwrap-failed"
	IntegrityFailed EventKind = "integrity-failed"
	// WriteConflict: the store refused an acknowledged write-back change
	// (an object appeared or changed meanwhile); the local copy is kept.
	WriteConflict EventKind = "write-conflict"
	// KeyCheckFailed: a loaded KEK's check value differs from the one
	// recorded for its id (a wrong key under a known id).
	KeyCheckFailed EventKind = "key-check-failed"
	KeyringClosed  EventKind = "keyring-closed"
)

// Event is one audit record. It never holds key material.
type Event struct {
	Time   time.Time
	Kind   EventKind
	KEKID  uint32
	State  State
	Source string // where a key came from: a path, "env:NAME" or "cmd:NAME"
	Object string // the object identity concerned, if any
	Err    error
}

// Auditor receives audit events. Implementations must be safe for concurrent use.
type Auditor interface {
	Audit(Event)
}

// AuditorFunc adapts a function to the Auditor interface.
type AuditorFunc func(Event)

// Audit calls f(e).
func (f AuditorFunc) Audit(e Event) { f(e) }

type discardAuditor struct{}

func (discardAuditor) Audit(Event) {}

// SlogAuditor writes each event as one structured log line at level Warn
// (failures) or Info (loads and closes).
type SlogAuditor struct {
	Logger *slog.Logger // nil means slog.Default()
}

// Audit writes e to the logger.
func (a SlogAuditor) Audit(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	level := slog.LevelInfo
	attrs := []slog.Attr{slog.String("event", string(e.Kind))}
	if e.Kind != KeyringClosed {
		attrs = append(attrs, slog.Uint64("kek_id", uint64(e.KEKID)))
	}
	if e.State != 0 {
		attrs = append(attrs, slog.String("state", e.State.String()))
	}
	if e.Source != "" {
		attrs = append(attrs, slog.String("source", e.Source))
	}
	if e.Object != "" {
		attrs = append(attrs, slog.String("object", e.Object))
	}
	if e.Err != nil {
		level = slog.LevelWarn
		attrs = append(attrs, slog.String("error", e.Err.Error()))
	}
	logger := a.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.LogAttrs(context.Background(), level, "audit", attrs...)
}
