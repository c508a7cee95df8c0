package main

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestLogFilesRefuseSymlinks checks that the log file and the audit log
// are opened without following a symbolic link at their path, so that a
// link planted there cannot make the daemon append to another file, and
// that ordinary paths still open.
func TestLogFilesRefuseSymlinks(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("untouched"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := func(name string) string {
		path := filepath.Join(dir, name)
		if err := os.Symlink(victim, path); err != nil {
			t.Fatal(err)
		}
		return path
	}
	if _, _, err := openLogger(&config{LogFile: link("sealfs.log")}); !errors.Is(err, syscall.ELOOP) {
		t.Errorf("log file that is a symlink: got %v, want ELOOP", err)
	}
	if _, err := openAuditLog(&config{AuditLog: link("audit.log")}); !errors.Is(err, syscall.ELOOP) {
		t.Errorf("audit log that is a symlink: got %v, want ELOOP", err)
	}
	state := filepath.Join(dir, "state")
	if err := os.Mkdir(state, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(state, "audit.log")); err != nil {
		t.Fatal(err)
	}
	if _, err := openAuditLog(&config{StateDir: state}); !errors.Is(err, syscall.ELOOP) {
		t.Errorf("default audit log in the state dir that is a symlink: got %v, want ELOOP", err)
	}
	if b, err := os.ReadFile(victim); err != nil || string(b) != "untouched" {
		t.Errorf("link target changed: %q, %v", b, err)
	}

	logger, logF, err := openLogger(&config{LogFile: filepath.Join(dir, "real.log")})
	if err != nil {
		t.Fatalf("ordinary log file: %v", err)
	}
	logger.Info("hello")
	logF.Close()
	audit, err := openAuditLog(&config{AuditLog: filepath.Join(dir, "real-audit.log")})
	if err != nil {
		t.Fatalf("ordinary audit log: %v", err)
	}
	audit.Close()
}
