package keyring

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerateFile(t *testing.T) {
	dir := t.TempDir()
	paths := []string{filepath.Join(dir, "kek-1.key"), filepath.Join(dir, "kek-2.key")}
	for _, p := range paths {
		if err := GenerateFile(p); err != nil {
			t.Fatalf("GenerateFile(%s): %v", p, err)
		}
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode() != 0o400 {
			t.Errorf("%s mode = %v, want -r--------", p, info.Mode())
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) != encodedKeyLen+1 || data[encodedKeyLen] != '\n' {
			t.Errorf("%s holds %d bytes, want one 44-character base64 line", p, len(data))
		}
	}
	a, _ := os.ReadFile(paths[0])
	b, _ := os.ReadFile(paths[1])
	if string(a) == string(b) {
		t.Error("two generated keys are equal")
	}

	r, err := Load(context.Background(), []Spec{
		{ID: 1, State: DecryptOnly, File: paths[0]},
		{ID: 2, State: Current, File: paths[1]},
	}, nil)
	if err != nil {
		t.Fatalf("Load of generated keys: %v", err)
	}
	defer r.Close()
	k, err := r.Current()
	if err != nil || k.ID() != 2 {
		t.Fatalf("Current = %v, %v; want key 2", k, err)
	}
	want, err := ParseKey(b, "test")
	if err != nil {
		t.Fatal(err)
	}
	wantKEK, _ := NewKEK(2, Current, want, "want")
	assertSameKey(t, k, wantKEK)
}

func TestGenerateFileRefusesOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kek.key")
	if err := os.WriteFile(path, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := GenerateFile(path)
	if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("GenerateFile error = %v, want ErrExist saying it already exists", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "precious\n" {
		t.Errorf("existing file changed to %q", data)
	}
}

func TestGenerateFileMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no-such-dir", "kek.key")
	if err := GenerateFile(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("GenerateFile error = %v, want ErrNotExist", err)
	}
}
