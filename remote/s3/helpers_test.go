package s3

import (
	"io"
	"testing"

	"github.com/sealfs/sealfs/remote"
)

// put uploads data to key under cond.
func put(t *testing.T, s remote.Store, key string, data []byte, cond remote.Condition) (remote.Info, error) {
	t.Helper()
	up, err := s.Create(t.Context(), key)
	if err != nil {
		return remote.Info{}, err
	}
	if _, err := up.Write(data); err != nil {
		up.Abort()
		return remote.Info{}, err
	}
	return up.Commit(t.Context(), cond)
}

// mustPut uploads data to key unconditionally.
func mustPut(t *testing.T, s remote.Store, key string, data []byte) remote.Info {
	t.Helper()
	info, err := put(t, s, key, data, remote.Condition{})
	if err != nil {
		t.Fatalf("put %q: %v", key, err)
	}
	return info
}

// mustRead opens key and reads all of it.
func mustRead(t *testing.T, s remote.Store, key string) []byte {
	t.Helper()
	obj, err := s.Open(t.Context(), key, "")
	if err != nil {
		t.Fatalf("Open %q: %v", key, err)
	}
	defer obj.Close()
	buf := make([]byte, obj.Info().Size)
	n, err := obj.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		t.Fatalf("read %q: %v", key, err)
	}
	return buf[:n]
}
