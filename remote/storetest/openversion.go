package storetest

import (
	"errors"
	"testing"

	"github.com/sealfs/sealfs/remote"
)

// testOpenVersion checks remote.VersionOpener, for stores that have it: a
// version known from a listing reads back, and a reader of a version that
// was replaced or deleted since fails its reads instead of mixing versions.
func testOpenVersion(t *testing.T, s remote.Store) {
	vo, ok := s.(remote.VersionOpener)
	if !ok {
		t.Skip("the store has no OpenVersion")
	}
	ctx := t.Context()
	v1 := pattern(1, 10_000)
	mustPut(t, s, "d/obj", v1)
	var listed remote.Info
	for _, e := range listAll(t, s, "d/", false) {
		if e.Key == "d/obj" {
			listed = e.Info
		}
	}
	if listed.Version == "" {
		t.Skip("the store's listings carry no version")
	}
	obj, err := vo.OpenVersion(ctx, listed)
	if err != nil {
		t.Fatalf("OpenVersion: %v", err)
	}
	got, err := readObject(obj)
	obj.Close()
	if err != nil || string(got) != string(v1) {
		t.Fatalf("read through OpenVersion: %d bytes, %v; want the %d written", len(got), err, len(v1))
	}

	mustPut(t, s, "d/obj", pattern(2, 10_000))
	if err := openVersionRead(vo, t, listed); !errors.Is(err, remote.ErrPreconditionFailed) {
		t.Fatalf("open and read of a replaced version: %v, want ErrPreconditionFailed", err)
	}
	if err := s.Delete(ctx, "d/obj", remote.Condition{}); err != nil {
		t.Fatal(err)
	}
	if err := openVersionRead(vo, t, listed); !errors.Is(err, remote.ErrPreconditionFailed) && !errors.Is(err, remote.ErrNotFound) {
		t.Fatalf("open and read of a deleted object: %v, want ErrPreconditionFailed or ErrNotFound", err)
	}
}

// openVersionRead opens info with OpenVersion and reads it whole; the
// store may refuse at the open or at the read.
func openVersionRead(vo remote.VersionOpener, t *testing.T, info remote.Info) error {
	obj, err := vo.OpenVersion(t.Context(), info)
	if err != nil {
		return err
	}
	defer obj.Close()
	_, err = readObject(obj)
	return err
}
