package azure

import (
	"errors"
	"path"
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
		{"a/b/c", false, false},
		{"ab/cd/1.2.840.10008-uuid", false, false},
		{"a/", true, false},
		{"a/b/", true, false},
		{".hidden", false, false},
		{"...", false, false},
		{"a.", false, false},
		{strings.Repeat("n", 255), false, false},
		{strings.Repeat("a/", 512), true, false},
		{"", false, true},
		{"/", false, true},
		{"/a", false, true},
		{"a//b", false, true},
		{"a//", false, true},
		{".", false, true},
		{"./", false, true},
		{"..", false, true},
		{"a/../b", false, true},
		{"a/./b", false, true},
		{"a/..", false, true},
		{"a\x00b", false, true},
		{strings.Repeat("n", 256), false, true},
		{strings.Repeat("a/", 512) + "b", false, true},
	}
	for _, tt := range tests {
		marker, err := checkKey(tt.key)
		if gotErr := err != nil; gotErr != tt.wantErr || marker != tt.wantMarker {
			t.Errorf("checkKey(%q) = %v, %v; want marker %v, error %v", tt.key, marker, err, tt.wantMarker, tt.wantErr)
		}
		if err != nil && !errors.Is(err, remote.ErrInvalidKey) {
			t.Errorf("checkKey(%q) error %v does not wrap ErrInvalidKey", tt.key, err)
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
		{"a/.", false},
		{"a/..", false}, // a prefix of "a/..x"
		{"/a", true},
		{"a//", true},
		{"a/../", true},
		{"../x", true},
		{"a/b\x00", true},
		{"a\x00/", true},
		{strings.Repeat("n", 256), true},
	}
	for _, tt := range tests {
		err := checkPrefix(tt.prefix)
		if gotErr := err != nil; gotErr != tt.wantErr {
			t.Errorf("checkPrefix(%q) = %v, want error %v", tt.prefix, err, tt.wantErr)
		}
		if err != nil && !errors.Is(err, remote.ErrInvalidKey) {
			t.Errorf("checkPrefix(%q) error %v does not wrap ErrInvalidKey", tt.prefix, err)
		}
	}
}

// FuzzCheckKey checks that every accepted key is a clean relative path
// without NUL, and that a marker is exactly a key ending in "/".
func FuzzCheckKey(f *testing.F) {
	for _, seed := range []string{"a", "a/b/", "", "/", "..", "a/../b", "a//b", "x\x00", "./a", "a/."} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		marker, err := checkKey(key)
		if err != nil {
			if !errors.Is(err, remote.ErrInvalidKey) {
				t.Fatalf("checkKey(%q) error %v does not wrap ErrInvalidKey", key, err)
			}
			return
		}
		if marker != strings.HasSuffix(key, "/") {
			t.Fatalf("checkKey(%q) marker = %v", key, marker)
		}
		rel := strings.TrimSuffix(key, "/")
		if clean := path.Clean(rel); clean != rel || path.IsAbs(clean) || clean == "." || clean == ".." || strings.HasPrefix(clean, "../") {
			t.Fatalf("accepted key %q is not a clean relative path (%q)", key, clean)
		}
		if strings.IndexByte(key, 0) >= 0 || len(key) > remote.MaxKeyLen {
			t.Fatalf("accepted key %q contains NUL or is too long", key)
		}
	})
}

// FuzzCheckPrefix checks that an accepted prefix's directory part is a
// valid marker key and that every key it accepts passes checkKey.
func FuzzCheckPrefix(f *testing.F) {
	for _, seed := range []string{"", "a", "a/", "a/b", "/a", "a//", "a/../", "a\x00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, prefix string) {
		err := checkPrefix(prefix)
		if err != nil {
			if !errors.Is(err, remote.ErrInvalidKey) {
				t.Fatalf("checkPrefix(%q) error %v does not wrap ErrInvalidKey", prefix, err)
			}
			return
		}
		if dir := prefix[:strings.LastIndexByte(prefix, '/')+1]; dir != "" {
			if _, err := checkKey(dir); err != nil {
				t.Fatalf("accepted prefix %q has an invalid directory %q: %v", prefix, dir, err)
			}
		}
		if strings.IndexByte(prefix, 0) >= 0 {
			t.Fatalf("accepted prefix %q contains NUL", prefix)
		}
	})
}
