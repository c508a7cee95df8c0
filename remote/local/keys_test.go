package local

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
		{"a/.sealfs-tmp", false, false},
		{".sealfs-tmpx/y", false, false},
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
		{".sealfs-tmp", false, true},
		{".sealfs-tmp/", false, true},
		{".sealfs-tmp/lock", false, true},
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

func TestSplitPrefix(t *testing.T) {
	tests := []struct {
		prefix, wantDir, wantName string
		wantErr                   bool
	}{
		{"", "", "", false},
		{"a", "", "a", false},
		{"a/", "a/", "", false},
		{"a/b", "a/", "b", false},
		{"a/b/", "a/b/", "", false},
		{"a/.", "a/", ".", false},
		{".sealfs-tmp", "", ".sealfs-tmp", false},
		{"/a", "", "", true},
		{"a//", "", "", true},
		{"a/../", "", "", true},
		{"../x", "", "", true},
		{".sealfs-tmp/", "", "", true},
		{"a/b\x00", "", "", true},
	}
	for _, tt := range tests {
		dir, name, err := splitPrefix(tt.prefix)
		if gotErr := err != nil; gotErr != tt.wantErr || dir != tt.wantDir || name != tt.wantName {
			t.Errorf("splitPrefix(%q) = %q, %q, %v; want %q, %q, error %v", tt.prefix, dir, name, err, tt.wantDir, tt.wantName, tt.wantErr)
		}
	}
}

// FuzzCheckKey checks that every accepted key maps to a path strictly
// below the root, outside the temp directory, and that a marker is
// exactly a key ending in "/".
func FuzzCheckKey(f *testing.F) {
	for _, seed := range []string{"a", "a/b/", "", "/", "..", "a/../b", "a//b", ".sealfs-tmp/x", "x\x00", "./a", "a/."} {
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
		clean := path.Clean(rel)
		if clean != rel || path.IsAbs(clean) || clean == "." || clean == ".." || strings.HasPrefix(clean, "../") {
			t.Fatalf("accepted key %q is not a clean relative path (%q)", key, clean)
		}
		if first, _, _ := strings.Cut(clean, "/"); first == tmpDirName {
			t.Fatalf("accepted key %q is inside the temp directory", key)
		}
		if strings.IndexByte(key, 0) >= 0 {
			t.Fatalf("accepted key %q contains NUL", key)
		}
	})
}

// FuzzSplitPrefix checks that an accepted prefix splits into a valid
// directory key and a name without "/" that reassemble to the prefix.
func FuzzSplitPrefix(f *testing.F) {
	for _, seed := range []string{"", "a", "a/", "a/b", "/a", "a//", ".sealfs-tmp/", "a/../"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, prefix string) {
		dir, name, err := splitPrefix(prefix)
		if err != nil {
			return
		}
		if dir+name != prefix || strings.Contains(name, "/") {
			t.Fatalf("splitPrefix(%q) = %q, %q", prefix, dir, name)
		}
		if dir != "" {
			if marker, err := checkKey(dir); err != nil || !marker {
				t.Fatalf("splitPrefix(%q) gave directory %q, which is not a valid marker: %v", prefix, dir, err)
			}
		}
	})
}
