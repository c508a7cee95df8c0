package remote_test

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
		isMarker, err := remote.CheckKey(tt.key)
		if (err != nil) != tt.wantErr || err != nil && !errors.Is(err, remote.ErrInvalidKey) {
			t.Errorf("CheckKey(%q) error = %v, wantErr %v", tt.key, err, tt.wantErr)
		}
		if err == nil && isMarker != tt.wantMarker {
			t.Errorf("CheckKey(%q) isMarker = %v", tt.key, isMarker)
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
		err := remote.CheckPrefix(tt.prefix)
		if (err != nil) != tt.wantErr || err != nil && !errors.Is(err, remote.ErrInvalidKey) {
			t.Errorf("CheckPrefix(%q) = %v, wantErr %v", tt.prefix, err, tt.wantErr)
		}
	}
}

// FuzzCheckKey checks CheckKey's invariants on arbitrary keys: an
// accepted key has no empty, "." or ".." component, no NUL, and is a
// valid List prefix; a rejected one is reported as ErrInvalidKey.
func FuzzCheckKey(f *testing.F) {
	for _, seed := range []string{"a", "a/b/", "a//b", "/", "..", "a/./b", "x\x00", strings.Repeat("y", 300)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		isMarker, err := remote.CheckKey(key)
		if err != nil {
			if !errors.Is(err, remote.ErrInvalidKey) {
				t.Fatalf("CheckKey(%q) = %v, not ErrInvalidKey", key, err)
			}
			return
		}
		if isMarker != strings.HasSuffix(key, "/") {
			t.Fatalf("CheckKey(%q) isMarker = %v", key, isMarker)
		}
		for name := range strings.SplitSeq(strings.TrimSuffix(key, "/"), "/") {
			if name == "" || name == "." || name == ".." || strings.IndexByte(name, 0) >= 0 {
				t.Fatalf("checkKey accepted %q with component %q", key, name)
			}
		}
		if err := remote.CheckPrefix(key); err != nil {
			t.Fatalf("accepted key %q is not a valid prefix: %v", key, err)
		}
	})
}
