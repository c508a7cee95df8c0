package gcs_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/sealfs/sealfs/remote"
)

// TestFilesystemBackend runs the essentials that fake-gcs-server's
// filesystem backend supports (it drops directory markers, see
// filesystemBackend): conditional commits, reads pinned to a
// generation, and conditional deletes.
func TestFilesystemBackend(t *testing.T) {
	s := newStore(t, startFakeGCS(t, filesystemBackend))
	defer s.Close()
	ctx := t.Context()
	put := func(data []byte, cond remote.Condition) (remote.Info, error) {
		up, err := s.Create(ctx, "fs/obj")
		if err != nil {
			return remote.Info{}, err
		}
		if _, err := up.Write(data); err != nil {
			return remote.Info{}, err
		}
		return up.Commit(ctx, cond)
	}
	first := bytes.Repeat([]byte("first "), 10000)
	v1, err := put(first, remote.Condition{IfAbsent: true})
	if err != nil {
		t.Fatalf("IfAbsent commit: %v", err)
	}
	if _, err := put([]byte("x"), remote.Condition{IfAbsent: true}); !errors.Is(err, remote.ErrPreconditionFailed) {
		t.Fatalf("second IfAbsent commit: %v, want ErrPreconditionFailed", err)
	}
	obj, err := s.Open(ctx, "fs/obj", v1.Version)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer obj.Close()
	got := make([]byte, len(first))
	if n, err := obj.ReadAt(got, 0); n != len(first) || (err != nil && err != io.EOF) || !bytes.Equal(got, first) {
		t.Fatalf("ReadAt: %d bytes, %v, equal %v", n, err, bytes.Equal(got, first))
	}
	v2, err := put([]byte("second"), remote.Condition{IfMatch: v1.Version})
	if err != nil {
		t.Fatalf("IfMatch commit: %v", err)
	}
	if n, err := obj.ReadAt(got, 0); !errors.Is(err, remote.ErrPreconditionFailed) && !bytes.Equal(got[:n], first[:n]) {
		t.Fatalf("ReadAt after overwrite: %d bytes, %v: neither the old bytes nor ErrPreconditionFailed", n, err)
	}
	if err := s.Delete(ctx, "fs/obj", remote.Condition{IfMatch: v1.Version}); !errors.Is(err, remote.ErrPreconditionFailed) {
		t.Fatalf("Delete with a stale version: %v, want ErrPreconditionFailed", err)
	}
	if err := s.Delete(ctx, "fs/obj", remote.Condition{IfMatch: v2.Version}); err != nil {
		t.Fatalf("Delete with the current version: %v", err)
	}
	if _, err := s.Stat(ctx, "fs/obj"); !errors.Is(err, remote.ErrNotFound) {
		t.Fatalf("Stat after Delete: %v, want ErrNotFound", err)
	}
}
