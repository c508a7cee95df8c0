package storetest

import (
	"errors"
	"testing"

	"github.com/sealfs/sealfs/remote"
)

// testDelete checks plain and conditional deletes.
func testDelete(t *testing.T, s remote.Store) {
	ctx := t.Context()
	if err := s.Delete(ctx, "del/missing", remote.Condition{}); err != nil {
		t.Fatalf("Delete of a missing key: %v, want nil", err)
	}
	v1 := mustPut(t, s, "del/obj", []byte("one"))
	v2 := mustPut(t, s, "del/obj", []byte("two"))
	err := s.Delete(ctx, "del/obj", remote.Condition{IfMatch: v1.Version})
	if !errors.Is(err, remote.ErrPreconditionFailed) {
		t.Fatalf("Delete with stale IfMatch: got %v, want ErrPreconditionFailed", err)
	}
	wantContent(t, s, "del/obj", []byte("two"))
	if err := s.Delete(ctx, "del/obj", remote.Condition{IfMatch: v2.Version}); err != nil {
		t.Fatalf("Delete with current IfMatch: %v", err)
	}
	wantMissing(t, s, "del/obj")
	mustPut(t, s, "del/plain", []byte("x"))
	if err := s.Delete(ctx, "del/plain", remote.Condition{}); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantMissing(t, s, "del/plain")
	if got := listAll(t, s, "del/", true); len(got) != 0 {
		t.Fatalf("listing after deletes: %v, want nothing", entryKeys(got))
	}
}

// testIfAbsent checks create-only-if-absent.
func testIfAbsent(t *testing.T, s remote.Store) {
	ctx := t.Context()
	first, err := put(ctx, s, "abs/obj", []byte("first"), remote.Condition{IfAbsent: true})
	if err != nil {
		t.Fatalf("first IfAbsent commit: %v", err)
	}
	_, err = put(ctx, s, "abs/obj", []byte("second"), remote.Condition{IfAbsent: true})
	if !errors.Is(err, remote.ErrPreconditionFailed) {
		t.Fatalf("second IfAbsent commit: got %v, want ErrPreconditionFailed", err)
	}
	wantContent(t, s, "abs/obj", []byte("first"))
	if st, err := s.Stat(ctx, "abs/obj"); err != nil || st.Version != first.Version {
		t.Fatalf("Stat after refused commit: %+v, %v; want version %q", st, err, first.Version)
	}
}

// testIfMatch checks compare-and-swap writes.
func testIfMatch(t *testing.T, s remote.Store) {
	ctx := t.Context()
	v1 := mustPut(t, s, "cas/obj", []byte("one"))
	v2, err := put(ctx, s, "cas/obj", []byte("two"), remote.Condition{IfMatch: v1.Version})
	if err != nil {
		t.Fatalf("IfMatch with the current version: %v", err)
	}
	if v2.Version == v1.Version || v2.Version == "" {
		t.Fatalf("version after IfMatch commit = %q (before %q), want a new one", v2.Version, v1.Version)
	}
	_, err = put(ctx, s, "cas/obj", []byte("three"), remote.Condition{IfMatch: v1.Version})
	if !errors.Is(err, remote.ErrPreconditionFailed) {
		t.Fatalf("IfMatch with a stale version: got %v, want ErrPreconditionFailed", err)
	}
	wantContent(t, s, "cas/obj", []byte("two"))
	_, err = put(ctx, s, "cas/missing", []byte("x"), remote.Condition{IfMatch: v2.Version})
	if !errors.Is(err, remote.ErrPreconditionFailed) {
		t.Fatalf("IfMatch on a missing key: got %v, want ErrPreconditionFailed", err)
	}
	wantMissing(t, s, "cas/missing")
}
