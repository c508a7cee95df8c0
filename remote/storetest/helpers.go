package storetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/sealfs/sealfs/remote"
)

// writeChunk is the largest single Write the helpers make; uploads of
// more bytes exercise appending.
const writeChunk = 1<<20 - 3

// pattern returns n pseudo-random bytes determined by seed.
func pattern(seed uint64, n int) []byte {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	b := make([]byte, n)
	rand.NewChaCha8(s).Read(b)
	return b
}

// put uploads data to key under cond and returns Commit's result. A
// failed upload is aborted.
func put(ctx context.Context, s remote.Store, key string, data []byte, cond remote.Condition) (remote.Info, error) {
	up, err := s.Create(ctx, key)
	if err != nil {
		return remote.Info{}, err
	}
	for rest := data; len(rest) > 0; {
		n := min(len(rest), writeChunk)
		if _, err := up.Write(rest[:n]); err != nil {
			return remote.Info{}, errors.Join(err, up.Abort())
		}
		rest = rest[n:]
	}
	return up.Commit(ctx, cond)
}

// mustPut uploads data to key unconditionally, failing the test on error.
func mustPut(t *testing.T, s remote.Store, key string, data []byte) remote.Info {
	t.Helper()
	info, err := put(t.Context(), s, key, data, remote.Condition{})
	if err != nil {
		t.Fatalf("put %q: %v", key, err)
	}
	return info
}

// readObject reads the whole of an open object, as Info().Size says.
func readObject(obj remote.Object) ([]byte, error) {
	buf := make([]byte, obj.Info().Size)
	n, err := obj.ReadAt(buf, 0)
	if err == io.EOF && n == len(buf) {
		err = nil
	}
	return buf[:n], err
}

// mustRead opens key (current version) and returns its bytes.
func mustRead(t *testing.T, s remote.Store, key string) []byte {
	t.Helper()
	obj, err := s.Open(t.Context(), key, "")
	if err != nil {
		t.Fatalf("Open %q: %v", key, err)
	}
	defer obj.Close()
	got, err := readObject(obj)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return got
}

// wantContent fails the test unless key holds exactly want.
func wantContent(t *testing.T, s remote.Store, key string, want []byte) {
	t.Helper()
	if got := mustRead(t, s, key); !bytes.Equal(got, want) {
		t.Fatalf("%q holds %d bytes that differ from the %d expected", key, len(got), len(want))
	}
}

// wantMissing fails the test unless Stat of key reports ErrNotFound.
func wantMissing(t *testing.T, s remote.Store, key string) {
	t.Helper()
	if _, err := s.Stat(t.Context(), key); !errors.Is(err, remote.ErrNotFound) {
		t.Fatalf("Stat %q: got %v, want ErrNotFound", key, err)
	}
}

// listAll collects a listing.
func listAll(t *testing.T, s remote.Store, prefix string, recursive bool) []remote.Entry {
	t.Helper()
	var got []remote.Entry
	err := s.List(t.Context(), prefix, recursive, func(e remote.Entry) error {
		got = append(got, e)
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q, recursive=%v): %v", prefix, recursive, err)
	}
	return got
}
