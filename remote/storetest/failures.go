package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/sealfs/sealfs/remote"
)

// testAbort checks that an aborted upload leaves nothing behind.
func testAbort(t *testing.T, s remote.Store) {
	ctx := t.Context()
	up, err := s.Create(ctx, "abort/obj")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := up.Write(pattern(3, 10000)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := up.Abort(); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	if _, err := up.Commit(ctx, remote.Condition{}); err == nil {
		t.Fatal("Commit after Abort succeeded")
	}
	wantMissing(t, s, "abort/obj")
	if got := listAll(t, s, "", true); len(got) != 0 {
		t.Fatalf("listing after Abort: %v, want nothing", entryKeys(got))
	}
}

// testCancellation checks that a cancelled context stops every operation
// with an error wrapping context.Canceled, and that a cancelled Commit
// publishes nothing.
func testCancellation(t *testing.T, s remote.Store) {
	mustPut(t, s, "cancel/existing", []byte("x"))
	up, err := s.Create(t.Context(), "cancel/new")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	defer up.Abort()
	if _, err := up.Write([]byte("data")); err != nil {
		t.Fatalf("Write: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ops := []struct {
		name string
		run  func() error
	}{
		{"Stat", func() error { _, err := s.Stat(ctx, "cancel/existing"); return err }},
		{"Open", func() error { _, err := s.Open(ctx, "cancel/existing", ""); return err }},
		{"List", func() error { return s.List(ctx, "", true, func(remote.Entry) error { return nil }) }},
		{"Create", func() error { _, err := s.Create(ctx, "cancel/other"); return err }},
		{"Delete", func() error { return s.Delete(ctx, "cancel/existing", remote.Condition{}) }},
		{"Commit", func() error { _, err := up.Commit(ctx, remote.Condition{}); return err }},
	}
	for _, op := range ops {
		if err := op.run(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: got %v, want context.Canceled", op.name, err)
		}
	}
	wantMissing(t, s, "cancel/new")
	wantContent(t, s, "cancel/existing", []byte("x"))
}

// testInvalidKeys checks that malformed keys and prefixes are refused.
func testInvalidKeys(t *testing.T, s remote.Store) {
	ctx := t.Context()
	keys := []string{"", "/a", "a/../b", "a//b", ".", "..", "a/./b", "a/b/..", "../a", "a\x00b", "//"}
	for _, key := range keys {
		if _, err := s.Stat(ctx, key); !errors.Is(err, remote.ErrInvalidKey) {
			t.Errorf("Stat(%q): got %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Open(ctx, key, ""); !errors.Is(err, remote.ErrInvalidKey) {
			t.Errorf("Open(%q): got %v, want ErrInvalidKey", key, err)
		}
		if up, err := s.Create(ctx, key); !errors.Is(err, remote.ErrInvalidKey) {
			t.Errorf("Create(%q): got %v, want ErrInvalidKey", key, err)
			if err == nil {
				up.Abort()
			}
		}
		if err := s.Delete(ctx, key, remote.Condition{}); !errors.Is(err, remote.ErrInvalidKey) {
			t.Errorf("Delete(%q): got %v, want ErrInvalidKey", key, err)
		}
	}
	for _, prefix := range []string{"/a", "a//", "a/../", "../", "a\x00/"} {
		err := s.List(ctx, prefix, true, func(remote.Entry) error { return nil })
		if !errors.Is(err, remote.ErrInvalidKey) {
			t.Errorf("List(%q): got %v, want ErrInvalidKey", prefix, err)
		}
	}
}

// testNotFound checks Stat and Open of keys that are not objects.
func testNotFound(t *testing.T, s remote.Store) {
	ctx := t.Context()
	mustPut(t, s, "nf/dir/obj", []byte("x"))
	for _, key := range []string{"nf/missing", "nf/dir", "nf/dir/obj/below", "other/"} {
		if _, err := s.Stat(ctx, key); !errors.Is(err, remote.ErrNotFound) {
			t.Errorf("Stat(%q): got %v, want ErrNotFound", key, err)
		}
		if _, err := s.Open(ctx, key, ""); !errors.Is(err, remote.ErrNotFound) {
			t.Errorf("Open(%q): got %v, want ErrNotFound", key, err)
		}
	}
}
