package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sealfs/sealfs/integration/testenv"
)

func TestMountPoints(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr bool
	}{
		{"empty", "", nil, false},
		{"two mounts", "22 1 0:21 / /proc rw,nosuid - proc proc rw\n" +
			"90 22 0:50 / /srv/orthanc/storage rw - fuse.sealfs sealfs rw\n", []string{"/proc", "/srv/orthanc/storage"}, false},
		{"escaped space and backslash", `91 22 0:51 / /mnt/a\040b\134c rw - tmpfs tmpfs rw` + "\n", []string{`/mnt/a b\c`}, false},
		{"short line", "1 2 3 4\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mountPoints(strings.NewReader(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUnescapeMountinfo(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/plain", "/plain"},
		{`/a\040b`, "/a b"},
		{`/tab\011`, "/tab\t"},
		{`/trailing\04`, `/trailing\04`},
		{`/not\999octal`, `/not\999octal`},
		{`\`, `\`},
	}
	for _, tt := range tests {
		if got := unescapeMountinfo(tt.in); got != tt.want {
			t.Errorf("unescapeMountinfo(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzMountPoints(f *testing.F) {
	f.Add("22 1 0:21 / /proc rw,nosuid - proc proc rw\n")
	f.Add(`91 22 0:51 / /mnt/a\040b\134c rw - tmpfs tmpfs rw` + "\n")
	f.Add("1 2 3 4\n")
	f.Add(`1 2 3 4 \0\00\000\`)
	f.Fuzz(func(t *testing.T, in string) {
		points, err := mountPoints(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, p := range points {
			if len(p) > len(in) {
				t.Fatalf("unescaped %q is longer than the input", p)
			}
		}
	})
}

// TestGuardRechecksEmptiness: a file created between the emptiness check
// and the immutable attribute makes guard fail and clear the attribute.
func TestGuardRechecksEmptiness(t *testing.T) {
	testenv.Require(t, "root", os.Geteuid() == 0, "setting the immutable attribute needs CAP_LINUX_IMMUTABLE")
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unguard(dir, 0o755) })
	_, err := guard(dir, func() {
		// Root could not create it once the attribute is set: the race
		// is simulated by clearing it around the create.
		fd, flags, err := openDirFlags(dir)
		if err != nil {
			t.Error(err)
			return
		}
		defer unix.Close(fd)
		if err := setFlags(fd, dir, flags&^fsImmutableFlag); err != nil {
			t.Error(err)
			return
		}
		if err := os.WriteFile(filepath.Join(dir, "early.dcm"), []byte("plaintext"), 0o644); err != nil {
			t.Error(err)
		}
		if err := setFlags(fd, dir, flags); err != nil {
			t.Error(err)
		}
	})
	if err == nil || !strings.Contains(err.Error(), "not empty") || !strings.Contains(err.Error(), "cleared again") {
		t.Fatalf("guard = %v, want a not-empty error", err)
	}
	_, flags, err := openDirFlags(dir)
	if err != nil {
		t.Fatal(err)
	}
	if flags&fsImmutableFlag != 0 {
		t.Errorf("the immutable attribute is still set")
	}
	empty := t.TempDir()
	t.Cleanup(func() { _ = unguard(empty, 0o755) })
	if _, err := guard(empty, nil); err != nil {
		t.Errorf("guarding an empty directory: %v", err)
	}
}
