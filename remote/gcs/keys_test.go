package gcs

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
		{"a/b/c", false, false},
		{"ab/cd/1.2.840.10008-uuid.dcm", false, false},
		{"a/", true, false},
		{"a/b/", true, false},
		{".hidden", false, false},
		{"...", false, false},
		{"é/ü", false, false},
		{strings.Repeat("n", 255), false, false},
		{strings.Repeat("a/", 512), true, false},
		{"", false, true},
		{"/", false, true},
		{"/a", false, true},
		{"a//b", false, true},
		{"a/./b", false, true},
		{"a/../b", false, true},
		{"..", false, true},
		{"a/..", false, true},
		{"a\x00b", false, true},
		{"a\nb", false, true},
		{"a\rb", false, true},
		{"\xff", false, true},
		{strings.Repeat("n", 256), false, true},
		{strings.Repeat("a/", 512) + "b", false, true},
	}
	for _, tt := range tests {
		isMarker, err := checkKey(tt.key)
		if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, remote.ErrInvalidKey)) || isMarker != tt.wantMarker && err == nil {
			t.Errorf("checkKey(%q) = %v, %v; want marker %v, error %v", tt.key, isMarker, err, tt.wantMarker, tt.wantErr)
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
		{"a/b/", false},
		{"a/.", false}, // the start of a name such as ".hidden"
		{"/a", true},
		{"a//", true},
		{"a/../", true},
		{"../", true},
		{"a\x00/", true},
		{"a\x00", true},
		{"a/" + strings.Repeat("n", 256), true},
	}
	for _, tt := range tests {
		err := checkPrefix(tt.prefix)
		if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, remote.ErrInvalidKey)) {
			t.Errorf("checkPrefix(%q) = %v, want error %v", tt.prefix, err, tt.wantErr)
		}
	}
}

// FuzzCheckKey checks that every accepted key is one GCS and the local
// backend can store, and that the marker flag follows the trailing slash.
func FuzzCheckKey(f *testing.F) {
	for _, seed := range []string{"a", "a/b/", "", "/", "a//b", "a/../b", "a\x00", "é/\xff", ".../x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		isMarker, err := checkKey(key)
		if err != nil {
			if !errors.Is(err, remote.ErrInvalidKey) {
				t.Fatalf("checkKey(%q) error %v does not wrap ErrInvalidKey", key, err)
			}
			return
		}
		body := strings.TrimSuffix(key, "/")
		for _, name := range strings.Split(body, "/") {
			if name == "" || name == "." || name == ".." || len(name) > maxComponentLen {
				t.Fatalf("checkKey accepted %q with component %q", key, name)
			}
		}
		if isMarker != strings.HasSuffix(key, "/") || len(key) > remote.MaxNameLen || strings.ContainsAny(key, "\x00\r\n") {
			t.Fatalf("checkKey(%q) = marker %v, accepted", key, isMarker)
		}
		if err := checkPrefix(key); err != nil {
			t.Fatalf("checkPrefix refuses the valid key %q: %v", key, err)
		}
	})
}

// FuzzParseVersion checks that only canonical positive generations parse
// and that they format back to the same token.
func FuzzParseVersion(f *testing.F) {
	for _, seed := range []string{"1", "1712345678901234", "0", "-1", "01", "+1", "", "x", "9223372036854775808"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, version string) {
		generation, ok := parseVersion(version)
		if ok && (generation <= 0 || formatVersion(generation) != version) {
			t.Fatalf("parseVersion(%q) = %d, accepted", version, generation)
		}
	})
}
