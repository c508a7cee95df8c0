package keyring

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sealfs/sealfs/integration/testenv"
)

func TestLoadFilePermissions(t *testing.T) {
	_, encoded := testKey(4)
	tests := []struct {
		perm     os.FileMode
		ok       bool
		wantMode string
	}{
		{0o600, true, ""},
		{0o400, true, ""},
		{0o700, true, ""},
		{0o640, false, "(mode 0640)"},
		{0o644, false, "(mode 0644)"},
		{0o604, false, "(mode 0604)"},
		{0o660, false, "(mode 0660)"},
		{0o602, false, "(mode 0602)"},
		{0o620, false, "(mode 0620)"},
		{0o666, false, "(mode 0666)"},
	}
	for _, tt := range tests {
		t.Run(tt.perm.String(), func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "kek-1.key", encoded+"\n", tt.perm)
			r, err := Load(context.Background(), []Spec{{ID: 1, State: Current, File: path}}, nil)
			if tt.ok {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				r.Close()
				return
			}
			if !errors.Is(err, ErrInsecurePermissions) {
				t.Fatalf("Load error = %v, want ErrInsecurePermissions", err)
			}
			want := "key file " + path + " is accessible by group or others " + tt.wantMode + "; run: chmod 600 " + path
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not contain %q", err, want)
			}
		})
	}
}

func TestLoadFileRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want string
	}{
		{"directory", sub, "is not a regular file"},
		{"fifo", fifo, "is not a regular file"},
		{"device", "/dev/null", "is not a regular file"},
		{"missing", filepath.Join(dir, "missing.key"), "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(context.Background(), []Spec{{ID: 1, State: Current, File: tt.path}}, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.path) {
				t.Fatalf("Load error = %v, want it to name %s and say %q", err, tt.path, tt.want)
			}
		})
	}
}

func TestLoadFileFollowsSymlinkAndChecksTarget(t *testing.T) {
	_, encoded := testKey(5)
	dir := t.TempDir()
	private := writeFile(t, dir, "private.key", encoded, 0o600)
	public := writeFile(t, dir, "public.key", encoded, 0o644)
	for _, tt := range []struct {
		target string
		ok     bool
	}{{private, true}, {public, false}} {
		link := filepath.Join(dir, "link-to-"+filepath.Base(tt.target))
		if err := os.Symlink(tt.target, link); err != nil {
			t.Fatal(err)
		}
		r, err := Load(context.Background(), []Spec{{ID: 1, State: Current, File: link}}, nil)
		if tt.ok != (err == nil) {
			t.Fatalf("Load via symlink to %s: error = %v, want ok=%v", tt.target, err, tt.ok)
		}
		if err == nil {
			r.Close()
		} else if !errors.Is(err, ErrInsecurePermissions) {
			t.Fatalf("Load via symlink error = %v, want ErrInsecurePermissions", err)
		}
	}
}

func TestLoadFileRefusesOtherOwner(t *testing.T) {
	testenv.Require(t, "root", os.Geteuid() == 0, "needed to create a file owned by another user")
	_, encoded := testKey(6)
	path := writeFile(t, t.TempDir(), "kek.key", encoded, 0o600)
	if err := os.Chown(path, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	_, err := Load(context.Background(), []Spec{{ID: 1, State: Current, File: path}}, nil)
	if !errors.Is(err, ErrInsecurePermissions) || !strings.Contains(err.Error(), "owned by uid 4242") {
		t.Fatalf("Load error = %v, want ErrInsecurePermissions naming uid 4242", err)
	}
}

func TestLoadFileRefusesLargeFile(t *testing.T) {
	_, encoded := testKey(7)
	path := writeFile(t, t.TempDir(), "kek.key", encoded+strings.Repeat("\n", 5000), 0o600)
	_, err := Load(context.Background(), []Spec{{ID: 1, State: Current, File: path}}, nil)
	if err == nil || !strings.Contains(err.Error(), "larger than 4096 bytes") {
		t.Fatalf("Load error = %v, want a size error", err)
	}
}

func TestLoadFileMalformed(t *testing.T) {
	key, encoded := testKey(8)
	path := writeFile(t, t.TempDir(), "kek.key", encoded[:40]+"\n", 0o600)
	_, err := Load(context.Background(), []Spec{{ID: 1, State: Current, File: path}}, nil)
	if !errors.Is(err, ErrMalformedKey) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Load error = %v, want ErrMalformedKey naming %s", err, path)
	}
	assertNoSecret(t, "error", []byte(err.Error()), key, encoded)
}
