package keyring

import (
	"context"
	"os"
	"strings"
	"testing"
)

func TestLoadEnvUnsetsVariable(t *testing.T) {
	key, encoded := testKey(9)
	t.Setenv("SEALFS_TEST_KEK", encoded+"\n")
	r, err := Load(context.Background(), []Spec{{ID: 3, State: Current, Env: "SEALFS_TEST_KEK"}}, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	defer r.Close()
	if _, set := os.LookupEnv("SEALFS_TEST_KEK"); set {
		t.Error("SEALFS_TEST_KEK is still set after Load")
	}
	k, err := r.Current()
	if err != nil {
		t.Fatal(err)
	}
	if k.Source() != "env:SEALFS_TEST_KEK" || k.ID() != 3 {
		t.Errorf("key %d from %q, want 3 from env:SEALFS_TEST_KEK", k.ID(), k.Source())
	}
	want, _ := NewKEK(3, Current, key, "want")
	assertSameKey(t, k, want)
}

func TestLoadEnvErrors(t *testing.T) {
	tests := []struct {
		name  string
		value *string
		want  string
	}{
		{"missing", nil, "SEALFS_TEST_KEK is not set"},
		{"empty", new(""), "SEALFS_TEST_KEK is empty"},
		{"malformed", new("c2VjcmV0"), "malformed key"},
		{"too long", new(strings.Repeat("A", 5000)), "longer than 4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SEALFS_TEST_KEK", "")
			if tt.value == nil {
				os.Unsetenv("SEALFS_TEST_KEK")
			} else {
				os.Setenv("SEALFS_TEST_KEK", *tt.value)
			}
			_, err := Load(context.Background(), []Spec{{ID: 1, State: Current, Env: "SEALFS_TEST_KEK"}}, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "env:SEALFS_TEST_KEK") {
				t.Fatalf("Load error = %v, want it to name env:SEALFS_TEST_KEK and say %q", err, tt.want)
			}
			if _, set := os.LookupEnv("SEALFS_TEST_KEK"); set {
				t.Error("variable still set after a failed load")
			}
		})
	}
}

// assertSameKey checks that two KEKs derive the same subkey.
func assertSameKey(t *testing.T, got, want *KEK) {
	t.Helper()
	a, err := got.DeriveKey(nil, []byte("test"), 32)
	if err != nil {
		t.Fatal(err)
	}
	b, err := want.DeriveKey(nil, []byte("test"), 32)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Error("loaded key differs from the expected key")
	}
}
