package fs

import (
	"reflect"
	"testing"

	"github.com/sealfs/sealfs/remote"
)

func TestSubtreeListings(t *testing.T) {
	file := func(key string) remote.Entry {
		return remote.Entry{Info: remote.Info{Key: key, Size: 1, Version: "v-" + key}}
	}
	dir := func(key string) remote.Entry { return remote.Entry{Info: remote.Info{Key: key}, IsPrefix: true} }
	below := []remote.Entry{
		file("a/b/f1"),
		file("a/b/s-x"),
		file("a/b/s/deep/g"),
		file("a/b/s/h"),
		{Info: remote.Info{Key: "a/b/t/"}}, // the marker of an empty directory
		file("a/b/z"),
	}
	got := subtreeListings("a/b", below)
	want := map[string][]remote.Entry{
		"a/b":        {file("a/b/f1"), file("a/b/s-x"), dir("a/b/s/"), dir("a/b/t/"), file("a/b/z")},
		"a/b/s":      {dir("a/b/s/deep/"), file("a/b/s/h")},
		"a/b/s/deep": {file("a/b/s/deep/g")},
		"a/b/t":      {},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("subtreeListings =\n%v\nwant\n%v", got, want)
	}
	for d, entries := range got {
		for _, e := range entries {
			if kind, _ := findInListing(entries, childPath(d, logicalName(e.Key, dirPrefix(d)))); kind == absent {
				t.Errorf("%s: %s not found in its own listing", d, e.Key)
			}
		}
	}
	if got := subtreeListings("e", nil); !reflect.DeepEqual(got, map[string][]remote.Entry{"e": {}}) {
		t.Fatalf("listing of an empty subtree = %v", got)
	}
}

func TestFindInListing(t *testing.T) {
	entries := []remote.Entry{
		{Info: remote.Info{Key: "d/both", Version: "v1", Size: 7}},
		{Info: remote.Info{Key: "d/both/"}, IsPrefix: true},
		{Info: remote.Info{Key: "d/sub/"}, IsPrefix: true},
	}
	tests := []struct {
		logical string
		want    entryKind
	}{{"d/both", isFile}, {"d/sub", isDir}, {"d/su", absent}, {"d/other", absent}}
	for _, tt := range tests {
		if got, info := findInListing(entries, tt.logical); got != tt.want {
			t.Errorf("findInListing(%s) = %v, want %v", tt.logical, got, tt.want)
		} else if got == isFile && info.Version != "v1" {
			t.Errorf("findInListing(%s): info %+v", tt.logical, info)
		}
	}
}
