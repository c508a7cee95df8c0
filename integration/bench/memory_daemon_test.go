package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWaitLogged(t *testing.T) {
	tests := []struct {
		name    string
		log     string
		exited  bool
		wantErr error
	}{
		{"ready line present", "level=INFO msg=volume\nlevel=INFO msg=mounted mountpoint=/x\n", false, nil},
		{"daemon exited first", "level=INFO msg=volume\n", true, errDaemonExited},
		{"similar message is not the ready line", "level=INFO msg=mounted-elsewhere\n", true, errDaemonExited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logPath := filepath.Join(t.TempDir(), "sealfs.log")
			if err := os.WriteFile(logPath, []byte(tt.log), 0o600); err != nil {
				t.Fatal(err)
			}
			d := &daemon{name: "sealfs", logPath: logPath, exited: make(chan struct{})}
			if tt.exited {
				close(d.exited)
			}
			err := waitLogged(context.Background(), d, sealfsReadyLine)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("waitLogged = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
