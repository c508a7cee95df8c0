package cache

import (
	"fmt"
	"log/slog"
	"strings"
)

// badgerLogger routes Badger's warnings and errors to slog and drops its
// informational chatter.
type badgerLogger struct {
	log *slog.Logger
}

// Errorf logs a Badger error.
func (l badgerLogger) Errorf(format string, args ...any) {
	l.log.Error("badger: " + strings.TrimSpace(fmt.Sprintf(format, args...)))
}

// Warningf logs a Badger warning.
func (l badgerLogger) Warningf(format string, args ...any) {
	l.log.Warn("badger: " + strings.TrimSpace(fmt.Sprintf(format, args...)))
}

// Infof drops Badger's informational messages.
func (badgerLogger) Infof(string, ...any) {}

// Debugf drops Badger's debug messages.
func (badgerLogger) Debugf(string, ...any) {}
