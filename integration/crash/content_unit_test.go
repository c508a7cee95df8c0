package crash

import (
	"math/rand/v2"
	"testing"
)

func TestClassify(t *testing.T) {
	want := fileContent("ab/cd/abcd0000-0000-4000-8000-000000000000")
	flipped := append([]byte(nil), want...)
	flipped[len(flipped)/2] ^= 1
	zeroed := append([]byte(nil), want...)
	clear(zeroed[4096:8192]) // a hole where a page never reached the daemon
	tests := []struct {
		name string
		got  []byte
		want verdict
	}{
		{name: "whole", got: want, want: intact},
		{name: "nothing", got: nil, want: empty},
		{name: "prefix", got: want[:4096], want: truncated},
		{name: "all but one byte", got: want[:len(want)-1], want: truncated},
		{name: "one flipped bit", got: flipped, want: corrupt},
		{name: "zeroed page", got: zeroed, want: corrupt},
		{name: "all zeros", got: make([]byte, len(want)), want: corrupt},
		{name: "one byte too many", got: append(append([]byte(nil), want...), 0), want: corrupt},
		{name: "suffix", got: want[1:], want: corrupt},
	}
	for _, tt := range tests {
		if got := classify(tt.got, want); got != tt.want {
			t.Errorf("%s: classify = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestFirstDifference(t *testing.T) {
	tests := []struct {
		got, want string
		at        int
	}{
		{got: "abc", want: "abc", at: 3},
		{got: "abX", want: "abc", at: 2},
		{got: "ab", want: "abc", at: 2},
		{got: "", want: "abc", at: 0},
		{got: "abcd", want: "abc", at: 3},
	}
	for _, tt := range tests {
		if at := firstDifference([]byte(tt.got), []byte(tt.want)); at != tt.at {
			t.Errorf("firstDifference(%q, %q) = %d, want %d", tt.got, tt.want, at, tt.at)
		}
	}
}

func TestFileNamesFollowOrthanc(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{}
	for range 1000 {
		rel := newFileName(r)
		if !isOrthancName(rel) {
			t.Fatalf("newFileName made %q, not xx/yy/<uuid v4>", rel)
		}
		if seen[rel] {
			t.Fatalf("newFileName repeated %q", rel)
		}
		seen[rel] = true
	}
	again := rand.New(rand.NewPCG(1, 2))
	if first := newFileName(again); !seen[first] {
		t.Errorf("the same seed gave %q, not one of the first names", first)
	}
}

func TestIsOrthancName(t *testing.T) {
	tests := []struct {
		rel  string
		want bool
	}{
		{rel: "ab/cd/abcd0123-4567-489a-8bcd-0123456789ab", want: true},
		{rel: "ab/ce/abcd0123-4567-489a-8bcd-0123456789ab", want: false}, // wrong directory
		{rel: "abcd0123-4567-489a-8bcd-0123456789ab", want: false},
		{rel: "ab/cd/abcd0123-4567-489a-8bcd-0123456789ab.tmp", want: false},
		{rel: "ab/cd/ABCD0123-4567-489a-8bcd-0123456789ab", want: false},
		{rel: "ab/cd/abcd0123-4567-189a-8bcd-0123456789ab", want: false}, // not version 4
		{rel: "", want: false},
	}
	for _, tt := range tests {
		if got := isOrthancName(tt.rel); got != tt.want {
			t.Errorf("isOrthancName(%q) = %v, want %v", tt.rel, got, tt.want)
		}
	}
}

func TestFileContent(t *testing.T) {
	a := fileContent("ab/cd/abcd0123-4567-489a-8bcd-0123456789ab")
	b := fileContent("ab/cd/abcd0123-4567-489a-8bcd-0123456789ac")
	if len(a) < minFileSize || len(a) > maxFileSize || len(b) < minFileSize || len(b) > maxFileSize {
		t.Fatalf("sizes %d and %d outside [%d, %d]", len(a), len(b), minFileSize, maxFileSize)
	}
	if classify(fileContent("ab/cd/abcd0123-4567-489a-8bcd-0123456789ab"), a) != intact {
		t.Error("fileContent is not deterministic")
	}
	if n := min(len(a), len(b)); classify(a[:n], b[:n]) != corrupt {
		t.Error("two names share their content")
	}
}
