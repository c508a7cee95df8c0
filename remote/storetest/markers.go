package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/sealfs/sealfs/remote"
)

// testMarkers checks directory markers: creation, listing, and deletion
// only when nothing lies below.
func testMarkers(t *testing.T, s remote.Store) {
	ctx := t.Context()
	info, err := put(ctx, s, "d/", nil, remote.Condition{})
	if err != nil {
		t.Fatalf("commit marker d/: %v", err)
	}
	if info.Key != "d/" || info.Size != 0 || info.Version == "" {
		t.Fatalf("marker Info = %+v", info)
	}
	if st, err := s.Stat(ctx, "d/"); err != nil || st.Size != 0 {
		t.Fatalf("Stat(d/) = %+v, %v", st, err)
	}
	if _, err := put(ctx, s, "p/q/", nil, remote.Condition{IfAbsent: true}); err != nil {
		t.Fatalf("commit nested marker p/q/: %v", err)
	}
	checkListing(t, "", false, listAll(t, s, "", false), []remote.Entry{
		{Info: remote.Info{Key: "d/"}, IsPrefix: true},
		{Info: remote.Info{Key: "p/"}, IsPrefix: true},
	})
	checkListing(t, "", true, listAll(t, s, "", true), []remote.Entry{
		{Info: remote.Info{Key: "d/"}},
		{Info: remote.Info{Key: "p/q/"}},
	})
	if got := listAll(t, s, "d/", true); len(got) != 0 {
		t.Fatalf("List(d/) = %v, want nothing (a marker is not listed under itself)", entryKeys(got))
	}

	mustPut(t, s, "d/child", []byte("d/child"))
	if err := s.Delete(ctx, "d/", remote.Condition{}); !errors.Is(err, remote.ErrNotEmpty) {
		t.Fatalf("Delete(d/) with a child: got %v, want ErrNotEmpty", err)
	}
	wantContent(t, s, "d/child", []byte("d/child"))
	if err := s.Delete(ctx, "d/child", remote.Condition{}); err != nil {
		t.Fatalf("Delete(d/child): %v", err)
	}
	if err := s.Delete(ctx, "d/", remote.Condition{}); err != nil {
		t.Fatalf("Delete(d/) when empty: %v", err)
	}
	wantMissing(t, s, "d/")
	keys := entryKeys(listAll(t, s, "", true))
	if !slices.Equal(keys, []string{"p/q/"}) {
		t.Fatalf("listing after deleting d/: %v, want [p/q/]", keys)
	}
}
