package keyring

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadCredential(t *testing.T) {
	key, encoded := testKey(5)
	dir := t.TempDir()
	// systemd makes the directory private; the file mode is its business.
	if err := os.WriteFile(filepath.Join(dir, "sealfs-kek-1"), []byte(encoded+"\n"), 0o444); err != nil {
		t.Fatal(err)
	}
	t.Setenv(CredentialsDirEnv, dir)
	r, err := Load(context.Background(), []Spec{{ID: 1, State: Current, Credential: "sealfs-kek-1"}}, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	defer r.Close()
	k, err := r.Current()
	if err != nil {
		t.Fatal(err)
	}
	if k.Source() != "credential:sealfs-kek-1" {
		t.Errorf("source %q, want credential:sealfs-kek-1", k.Source())
	}
	want, _ := NewKEK(1, Current, key, "want")
	assertSameKey(t, k, want)
}

func TestLoadCredentialErrors(t *testing.T) {
	_, encoded := testKey(6)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "good"), []byte(encoded), 0o400)
	os.WriteFile(filepath.Join(dir, "bad"), []byte("c2VjcmV0"), 0o400)
	os.Mkdir(filepath.Join(dir, "adir"), 0o700)
	tests := []struct {
		name, dir, cred string
		want            []string
	}{
		{"no directory", "", "good", []string{"credential:good", "CREDENTIALS_DIRECTORY is not set", "LoadCredential=good"}},
		{"missing file", dir, "other", []string{"credential:other", "no credential other in CREDENTIALS_DIRECTORY=" + dir}},
		{"malformed", dir, "bad", []string{"credential:bad", "malformed key"}},
		{"directory", dir, "adir", []string{"credential:adir", "not a regular file"}},
		{"slash", dir, "../good", []string{"want a systemd credential name"}},
		{"dotdot", dir, "..", []string{"want a systemd credential name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(CredentialsDirEnv, tt.dir)
			if tt.dir == "" {
				os.Unsetenv(CredentialsDirEnv)
			}
			_, err := Load(context.Background(), []Spec{{ID: 1, State: Current, Credential: tt.cred}}, nil)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	// Two sources at once are refused.
	_, err := Load(context.Background(), []Spec{{ID: 1, State: Current, Credential: "good", Env: "X"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "exactly one of file, env, command or credential") {
		t.Errorf("two sources: %v", err)
	}
}
