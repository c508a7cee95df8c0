package fs_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	sealfs "github.com/sealfs/sealfs/fs"
	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/remote/local"
)

func wantPerm(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != want {
		t.Errorf("%s: mode %v, want %v", filepath.Base(path), st.Mode().Perm(), want)
	}
}

// Nodes whose mode is not recorded (every node after a remount) get
// FileMode and DirMode, owner-only by default, never 0644/0755; Umask
// caps every mode shown and created, chmod included.
func TestModesAfterRemount(t *testing.T) {
	m := newMount(t, 0)
	mkdirs(t, m.path("d"))
	if err := os.WriteFile(m.path("d/f"), []byte("phi"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(m.path("d/f"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantPerm(t, m.path("d/f"), 0o644) // chmod keeps its POSIX meaning without a umask

	steps := []struct {
		name                string
		opts                func(*sealfs.Options)
		file, dir, root     os.FileMode
		chmodTo, chmodShown os.FileMode
	}{
		{"defaults", nil, 0o600, 0o700, 0o700, 0o604, 0o604},
		{"file_mode and dir_mode", func(o *sealfs.Options) { o.FileMode, o.DirMode = 0o640, 0o750 }, 0o640, 0o750, 0o750, 0o666, 0o666},
		{"umask 077 over wide modes", func(o *sealfs.Options) { o.FileMode, o.DirMode, o.Umask = 0o644, 0o755, 0o077 }, 0o600, 0o700, 0o700, 0o666, 0o600},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			m.tweak = s.opts
			m.remount()
			wantPerm(t, m.mnt, s.root)
			wantPerm(t, m.path("d"), s.dir)
			wantPerm(t, m.path("d/f"), s.file)
			if err := os.Chmod(m.path("d/f"), s.chmodTo); err != nil {
				t.Fatal(err)
			}
			wantPerm(t, m.path("d/f"), s.chmodShown)
		})
	}
	// Created nodes: the umask applies on top of the caller's mode.
	if err := os.Mkdir(m.path("new"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(m.path("new/f"), nil, 0o666); err != nil {
		t.Fatal(err)
	}
	wantPerm(t, m.path("new"), 0o700)
	wantPerm(t, m.path("new/f"), 0o600)
}

func TestModesValidated(t *testing.T) {
	store, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ring := testRing(t, nil, testKEK(t, 1, keyring.Current, 1))
	cases := []struct {
		name string
		opts func(*sealfs.Options)
	}{
		{"setuid file mode", func(o *sealfs.Options) { o.FileMode = 0o4600 }},
		{"sticky dir mode", func(o *sealfs.Options) { o.DirMode = 0o1700 }},
		{"file type in umask", func(o *sealfs.Options) { o.Umask = 0o100077 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			state := t.TempDir()
			opts := sealfs.Options{Store: store, Keyring: ring, StagingDir: filepath.Join(state, "staging"), PendingDir: filepath.Join(state, "pending")}
			c.opts(&opts)
			server, err := sealfs.Mount(t.TempDir(), opts, sealfs.MountOptions{})
			if err == nil {
				server.Unmount()
				t.Fatal("mounted with an invalid mode")
			}
			if !errors.Is(err, sealfs.ErrInvalidMode) {
				t.Errorf("err = %v, want ErrInvalidMode", err)
			}
		})
	}
}
