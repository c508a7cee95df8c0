// Package retry wraps any remote.Store with one retry policy: bounded
// exponential backoff with full jitter, applied to failures a backend marked
// remote.ErrUnavailable (throttling, 5xx, broken connections, timeouts).
// Everything else, and any failure after the last attempt, goes back to the
// caller at once: a store outage is an error after a bounded time, never a
// hang.
package retry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/sealfs/sealfs/remote"
)

// Policy bounds the retries of one operation.
type Policy struct {
	// Attempts is the total number of tries, first included (default 5).
	Attempts int
	// BaseDelay is the backoff before the second try (default 100ms); each
	// later one doubles, up to MaxDelay (default 5s), with full jitter.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// MaxElapsed stops retrying once this much time has passed since the
	// first try (default 30s), however many attempts are left: with
	// per-request timeouts it bounds how long a stalled store can hold a
	// caller.
	MaxElapsed time.Duration
	// Logger receives one line per retried failure. Nil discards them.
	Logger *slog.Logger
	// OnRetry, if set, is called once per retried failure with the
	// operation's name ("stat", "open", "read", "create", "commit",
	// "delete", "list"), never its key. It must be safe for concurrent use.
	OnRetry func(op string)
}

func (p Policy) withDefaults() Policy {
	if p.Attempts <= 0 {
		p.Attempts = 5
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 100 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 5 * time.Second
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = 30 * time.Second
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	return p
}

// do runs op until it succeeds, fails with an error that is not
// remote.ErrUnavailable, runs out of attempts, or ctx ends.
func (p Policy) do(ctx context.Context, what string, op func() error) error {
	var err error
	start := time.Now()
	for attempt := 1; ; attempt++ {
		if err = op(); err == nil || !errors.Is(err, remote.ErrUnavailable) {
			return err
		}
		if attempt >= p.Attempts {
			return fmt.Errorf("%s: giving up after %d attempts: %w", what, attempt, err)
		}
		delay := p.backoff(attempt)
		if time.Since(start)+delay > p.MaxElapsed {
			return fmt.Errorf("%s: giving up after %d attempts in %v: %w", what, attempt, time.Since(start).Round(time.Millisecond), err)
		}
		p.Logger.Warn("store unavailable, retrying", "op", what, "attempt", attempt, "delay", delay, "err", err)
		if p.OnRetry != nil {
			opName, _, _ := strings.Cut(what, " ")
			p.OnRetry(opName)
		}
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("%s: %w (last error: %w)", what, ctx.Err(), err)
		case <-timer.C:
		}
	}
}

// backoff is the full-jitter delay before try attempt+1.
func (p Policy) backoff(attempt int) time.Duration {
	ceiling := p.BaseDelay << min(attempt-1, 30)
	if ceiling <= 0 || ceiling > p.MaxDelay {
		ceiling = p.MaxDelay
	}
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}
