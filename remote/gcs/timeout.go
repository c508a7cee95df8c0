package gcs

import (
	"context"
	"time"
)

// bytesPerSecond is the slowest transfer rate an attempt is given time
// for, on top of RequestTimeout.
const bytesPerSecond = 1 << 20

// attempt returns the context of one metadata request attempt.
func (s *Store) attempt(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, s.cfg.RequestTimeout, errAttemptTimeout)
}

// transfer returns the context of one attempt moving size bytes.
func (s *Store) transfer(ctx context.Context, size int64) (context.Context, context.CancelFunc) {
	extra := time.Duration(size/bytesPerSecond) * time.Second
	return context.WithTimeoutCause(ctx, s.cfg.RequestTimeout+extra, errAttemptTimeout)
}
