package main

import (
	"fmt"
	"os"
	"sync"
	"syscall"
)

// logFile is an append-only log file that can be reopened at the same
// path, so that logrotate can rename it and signal sealfs (SIGHUP) instead
// of copying and truncating it. It is safe for concurrent use.
type logFile struct {
	path string
	mu   sync.Mutex
	f    *os.File
}

// openLogFile opens (creating, mode 0600) the log file at path for
// appending.
func openLogFile(path string) (*logFile, error) {
	f, err := openAppend(path)
	if err != nil {
		return nil, err
	}
	return &logFile{path: path, f: f}, nil
}

// openAppend opens path for appending, creating it with mode 0600.
func openAppend(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|syscall.O_NOFOLLOW, 0o600)
}

// Write appends p to the current file.
func (l *logFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Write(p)
}

// Reopen opens the path again (a new file, if logrotate moved the old one
// away) and closes the old file. On error the old file stays in use.
func (l *logFile) Reopen() error {
	f, err := openAppend(l.path)
	if err != nil {
		return fmt.Errorf("reopening %s: %w", l.path, err)
	}
	l.mu.Lock()
	old := l.f
	l.f = f
	l.mu.Unlock()
	return old.Close()
}

// Fd returns the descriptor of the current file; it stays valid until the
// next Reopen or Close.
func (l *logFile) Fd() uintptr {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Fd()
}

// Close closes the current file.
func (l *logFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}
