package s3

import (
	"errors"
	"strings"
	"testing"

	"github.com/sealfs/sealfs/remote"
)

func TestCheckKey(t *testing.T) {
	tests := []struct {
		key        string
		wantMarker bool
		wantErr    bool
	}{
		{"a", false, false},
		{"a/b/c.dcm", false, false},
		{"a/b/", true, false},
		{"..a/b.", false, false},
		{strings.Repeat("x", 255), false, false},
		{strings.Repeat("x/", 512), true, false},
		{"", false, true},
		{"/a", false, true},
		{"a//b", false, true},
		{"//", false, true},
		{"a/./b", false, true},
		{"a/..", false, true},
		{"../a", false, true},
		{".", false, true},
		{"a\x00b", false, true},
		{strings.Repeat("x", 256), false, true},
		{strings.Repeat("x/", 512) + "y", false, true},
	}
	for _, tt := range tests {
		isMarker, err := checkKey(tt.key)
		if (err != nil) != tt.wantErr || err != nil && !errors.Is(err, remote.ErrInvalidKey) {
			t.Errorf("checkKey(%q) error = %v, wantErr %v", tt.key, err, tt.wantErr)
		}
		if err == nil && isMarker != tt.wantMarker {
			t.Errorf("checkKey(%q) isMarker = %v", tt.key, isMarker)
		}
	}
}

func TestCheckPrefix(t *testing.T) {
	tests := []struct {
		prefix  string
		wantErr bool
	}{
		{"", false},
		{"a", false},
		{"a/", false},
		{"a/b", false},
		{"a/.", false}, // a name prefix, not a component
		{"/a", true},
		{"a//", true},
		{"a/../", true},
		{"../", true},
		{"a\x00/", true},
		{"a/\x00", true},
	}
	for _, tt := range tests {
		err := checkPrefix(tt.prefix)
		if (err != nil) != tt.wantErr || err != nil && !errors.Is(err, remote.ErrInvalidKey) {
			t.Errorf("checkPrefix(%q) = %v, wantErr %v", tt.prefix, err, tt.wantErr)
		}
	}
}

// FuzzCheckKey checks checkKey's invariants on arbitrary keys: an
// accepted key has no empty, "." or ".." component, no NUL, and is a
// valid List prefix; a rejected one is reported as ErrInvalidKey.
func FuzzCheckKey(f *testing.F) {
	for _, seed := range []string{"a", "a/b/", "a//b", "/", "..", "a/./b", "x\x00", strings.Repeat("y", 300)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		isMarker, err := checkKey(key)
		if err != nil {
			if !errors.Is(err, remote.ErrInvalidKey) {
				t.Fatalf("checkKey(%q) = %v, not ErrInvalidKey", key, err)
			}
			return
		}
		if isMarker != strings.HasSuffix(key, "/") {
			t.Fatalf("checkKey(%q) isMarker = %v", key, isMarker)
		}
		for name := range strings.SplitSeq(strings.TrimSuffix(key, "/"), "/") {
			if name == "" || name == "." || name == ".." || strings.IndexByte(name, 0) >= 0 {
				t.Fatalf("checkKey accepted %q with component %q", key, name)
			}
		}
		if err := checkPrefix(key); err != nil {
			t.Fatalf("accepted key %q is not a valid prefix: %v", key, err)
		}
	})
}

func TestConfigNormalized(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		prefix  string
		wantErr bool
	}{
		{"defaults", Config{Bucket: "b", SpoolDir: "/tmp"}, "", false},
		{"prefix gets a slash", Config{Bucket: "b", SpoolDir: "/tmp", Prefix: "p/q"}, "p/q/", false},
		{"prefix keeps its slash", Config{Bucket: "b", SpoolDir: "/tmp", Prefix: "p/"}, "p/", false},
		{"no bucket", Config{SpoolDir: "/tmp"}, "", true},
		{"no spool", Config{Bucket: "b"}, "", true},
		{"bad prefix", Config{Bucket: "b", SpoolDir: "/tmp", Prefix: "../x"}, "", true},
	}
	for _, tt := range tests {
		got, err := tt.cfg.normalized()
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: error %v, wantErr %v", tt.name, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if got.Prefix != tt.prefix || got.Region != defaultRegion || got.RequestTimeout != defaultRequestTimeout || got.Logger == nil {
			t.Errorf("%s: normalized = %+v", tt.name, got)
		}
	}
}
