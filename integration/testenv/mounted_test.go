package testenv

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCanonicalMountpoint(t *testing.T) {
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	real := filepath.Join(base, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   string
		want string
	}{
		{in: "/", want: "/"},
		{in: filepath.Join(real, "mnt"), want: filepath.Join(real, "mnt")},
		{in: filepath.Join(link, "mnt"), want: filepath.Join(real, "mnt")},
		{in: filepath.Join(link, "mnt") + "/", want: filepath.Join(real, "mnt")},
		{in: filepath.Join(real, "..", "real", "mnt"), want: filepath.Join(real, "mnt")},
		{in: link, want: link}, // the last element is left alone
	}
	for _, tt := range tests {
		got, err := canonicalMountpoint(tt.in)
		if err != nil {
			t.Errorf("canonicalMountpoint(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("canonicalMountpoint(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMounted(t *testing.T) {
	notMounted := t.TempDir()
	tests := []struct {
		mountpoint string
		fstype     string
		want       bool
	}{
		{mountpoint: "/proc", fstype: "proc", want: true},
		{mountpoint: "/proc", fstype: "", want: true},
		{mountpoint: "/proc", fstype: "fuse.sealfs", want: false},
		{mountpoint: notMounted, fstype: "", want: false},
	}
	for _, tt := range tests {
		got, err := Mounted(tt.mountpoint, tt.fstype)
		if err != nil {
			t.Errorf("Mounted(%q, %q): %v", tt.mountpoint, tt.fstype, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Mounted(%q, %q) = %v, want %v", tt.mountpoint, tt.fstype, got, tt.want)
		}
	}
}

func TestWaitMountedReturnsAtOnceWhenMounted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the mount is already there, so the first look must succeed
	if err := WaitMounted(ctx, "/proc", "proc"); err != nil {
		t.Fatalf("WaitMounted(/proc, proc): %v", err)
	}
}

func TestWaitMountedEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := WaitMounted(ctx, t.TempDir(), "fuse.sealfs")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitMounted on a plain directory = %v, want context.Canceled", err)
	}
}

func TestWaitMountedWrongType(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := WaitMounted(ctx, "/proc", "fuse.sealfs")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitMounted(/proc, fuse.sealfs) = %v, want context.Canceled", err)
	}
}
