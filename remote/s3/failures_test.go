package s3

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/sealfs/sealfs/remote"
)

// TestServerDown checks that every operation fails with ErrUnavailable
// while the server is down, that a Commit that failed so can be called
// again once it is back, and that no error shows the credentials.
func TestServerDown(t *testing.T) {
	m := startMinIO(t)
	s := newTestStore(t, m)
	defer s.Close()
	ctx := t.Context()
	data := bytes.Repeat([]byte("x"), 100<<10)
	mustPut(t, s, "down/existing", data)
	obj, err := s.Open(ctx, "down/existing", "")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer obj.Close()
	up, err := s.Create(ctx, "down/new")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	defer up.Abort()
	if _, err := up.Write(data); err != nil {
		t.Fatalf("Write: %v", err)
	}

	m.stop(t)
	ops := []struct {
		name string
		run  func() error
	}{
		{"Stat", func() error { _, err := s.Stat(ctx, "down/existing"); return err }},
		{"Open", func() error { _, err := s.Open(ctx, "down/existing", ""); return err }},
		{"ReadAt", func() error { _, err := obj.ReadAt(make([]byte, 10), 0); return err }},
		{"List", func() error { return s.List(ctx, "", true, func(remote.Entry) error { return nil }) }},
		{"Delete", func() error { return s.Delete(ctx, "down/existing", remote.Condition{}) }},
		{"Commit", func() error { _, err := up.Commit(ctx, remote.Condition{IfAbsent: true}); return err }},
		{"New", func() error { _, err := New(ctx, m.config(t, testBucket, "")); return err }},
	}
	for _, op := range ops {
		err := op.run()
		if !errors.Is(err, remote.ErrUnavailable) {
			t.Errorf("%s with the server down: got %v, want ErrUnavailable", op.name, err)
		}
		if err != nil && (strings.Contains(err.Error(), m.password) || strings.Contains(err.Error(), m.user)) {
			t.Errorf("%s: error shows the credentials: %v", op.name, err)
		}
	}

	m.start(t)
	info, err := up.Commit(ctx, remote.Condition{IfAbsent: true})
	if err != nil {
		t.Fatalf("Commit again after the server came back: %v", err)
	}
	if info.Size != int64(len(data)) {
		t.Fatalf("Commit Info = %+v", info)
	}
	if got := mustRead(t, s, "down/new"); !bytes.Equal(got, data) {
		t.Fatal("recommitted object has the wrong content")
	}
	if _, err := up.Commit(ctx, remote.Condition{}); err == nil {
		t.Fatal("a third Commit after success succeeded")
	}
	buf := make([]byte, len(data)+1)
	if n, err := obj.ReadAt(buf, 0); n != len(data) || err != io.EOF || !bytes.Equal(buf[:n], data) {
		t.Fatalf("ReadAt of the handle opened before the outage: %d, %v", n, err)
	}
}

// TestNewErrors checks New's refusals: a missing bucket (named in the
// error, not ErrNotFound), wrong credentials (not shown) and bad configs.
func TestNewErrors(t *testing.T) {
	m := startMinIO(t)
	ctx := t.Context()
	missing := m.config(t, "no-such-bucket", "")
	wrongSecret := m.config(t, testBucket, "")
	wrongSecret.CreateBucket = true
	wrongSecret.SecretKey = "wrong-secret-" + m.password
	noSpool := m.config(t, testBucket, "")
	noSpool.SpoolDir = ""
	badPrefix := m.config(t, testBucket, "a//b")
	tests := []struct {
		name      string
		cfg       Config
		mentions  string
		forbidden string
	}{
		{"missing bucket", missing, `"no-such-bucket": bucket does not exist`, ""},
		{"wrong secret", wrongSecret, testBucket, wrongSecret.SecretKey},
		{"no spool directory", noSpool, "SpoolDir", ""},
		{"invalid prefix", badPrefix, "empty path component", ""},
	}
	for _, tt := range tests {
		s, err := New(ctx, tt.cfg)
		if err == nil {
			s.Close()
			t.Errorf("%s: New succeeded", tt.name)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tt.mentions) || tt.forbidden != "" && strings.Contains(msg, tt.forbidden) {
			t.Errorf("%s: error %q should mention %q and not show the secret", tt.name, msg, tt.mentions)
		}
		if errors.Is(err, remote.ErrNotFound) || errors.Is(err, remote.ErrUnavailable) {
			t.Errorf("%s: error %v must not look like a missing key or a transient failure", tt.name, err)
		}
	}
}

// TestListMarkers checks listings around markers that have keys below
// them (which remote/local cannot represent, but S3 keeps) and that the
// store's prefix never shows.
func TestListMarkers(t *testing.T) {
	m := startMinIO(t)
	s := newTestStore(t, m)
	defer s.Close()
	for _, key := range []string{"a/", "a/b/", "a/b/c", "a/d/", "e/"} {
		var data []byte
		if !strings.HasSuffix(key, "/") {
			data = []byte(key)
		}
		mustPut(t, s, key, data)
	}
	tests := []struct {
		prefix    string
		recursive bool
		want      []string
	}{
		{"", true, []string{"a/b/c", "a/d/", "e/"}},
		{"", false, []string{"a/*", "e/*"}},
		{"a/", true, []string{"a/b/c", "a/d/"}},
		{"a/", false, []string{"a/b/*", "a/d/*"}},
		{"a/b/", true, []string{"a/b/c"}},
		{"a/d/", true, nil},
	}
	for _, tt := range tests {
		var got []string
		err := s.List(t.Context(), tt.prefix, tt.recursive, func(e remote.Entry) error {
			k := e.Key
			if e.IsPrefix {
				k += "*"
			}
			got = append(got, k)
			return nil
		})
		if err != nil {
			t.Fatalf("List(%q, %v): %v", tt.prefix, tt.recursive, err)
		}
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("List(%q, %v) = %q, want %q", tt.prefix, tt.recursive, got, tt.want)
		}
	}
}

// TestCommitCancelledMidway checks that a Commit whose context ends while
// the request is under way reports the context's error and leaves the
// upload done.
func TestCommitCancelledMidway(t *testing.T) {
	m := startMinIO(t)
	s := newTestStore(t, m)
	defer s.Close()
	up, err := s.Create(t.Context(), "cancel/obj")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := up.Write(bytes.Repeat([]byte("y"), 4<<20)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	m.stop(t) // the request fails to connect; the context is cancelled by then
	cancel()
	_, err = up.Commit(ctx, remote.Condition{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Commit: got %v, want context.Canceled", err)
	}
}
