package cache

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/sealfs/sealfs/remote"
)

// plaintextMarker is written into paths, versions and listing keys; it must
// never appear in the files under the cache directory.
const plaintextMarker = "PLAINTEXT-MARKER-c7e1"

// fillWithMarkers writes enough marked entries to go through Badger's write
// path: the write-ahead log, and sorted tables on Close.
func fillWithMarkers(m *Meta) {
	for i := range 3000 {
		p := fmt.Sprintf("dir-%s/%d/file-%s", plaintextMarker, i%30, plaintextMarker)
		m.Put(fmt.Sprintf("%s-%d", p, i), Attr{Size: int64(i), Version: plaintextMarker})
		m.PutNegative(fmt.Sprintf("%s-neg-%d", p, i))
	}
	for d := range 30 {
		entries := make([]remote.Entry, 50)
		for i := range entries {
			entries[i] = remote.Entry{Info: remote.Info{Key: fmt.Sprintf("%s/%d", plaintextMarker, i), Version: plaintextMarker}}
		}
		m.PutListing(fmt.Sprintf("dir-%s/%d", plaintextMarker, d), entries)
	}
}

// filesContaining returns the files under dir that contain marker.
func filesContaining(t *testing.T, dir string, marker []byte) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if bytes.Contains([]byte(path), marker) {
			hits = append(hits, path+" (name)")
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, marker) {
			hits = append(hits, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

func TestNoPlaintextAtRest(t *testing.T) {
	dir := t.TempDir()
	m := openTestMeta(t, dir, ringA(t))
	fillWithMarkers(m)
	if err := m.db.Sync(); err != nil {
		t.Fatal(err)
	}
	if hits := filesContaining(t, dir, []byte(plaintextMarker)); len(hits) != 0 {
		t.Fatalf("marker in plaintext while open: %v", hits)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	n := 0
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, _ error) error {
		if d != nil && !d.IsDir() {
			n++
		}
		return nil
	})
	t.Logf("%d files", n)
	if n < 3 {
		t.Fatalf("only %d files under the cache directory; nothing was written?", n)
	}
	if hits := filesContaining(t, dir, []byte(plaintextMarker)); len(hits) != 0 {
		t.Fatalf("marker in plaintext after close: %v", hits)
	}
	// The entries are really there: the cache reads them back.
	m = openTestMeta(t, dir, ringA(t))
	if _, res := m.Get(fmt.Sprintf("dir-%s/%d/file-%s-%d", plaintextMarker, 7, plaintextMarker, 7)); res != Hit {
		t.Fatalf("marked entry not readable after reopen: %v", res)
	}
}

// TestPlaintextScanDetectsUnencrypted is the control for TestNoPlaintextAtRest:
// the same writes through an unencrypted Badger leave the marker on disk.
func TestPlaintextScanDetectsUnencrypted(t *testing.T) {
	dir := t.TempDir()
	opts := badgerOptions(dir, nil, testLogger(t)).WithIndexCacheSize(0)
	db, err := badger.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	m := &Meta{opts: MetaOptions{AttrTTL: time.Hour, NegativeTTL: time.Hour, ListTTL: time.Hour}, log: testLogger(t), db: db, now: time.Now}
	fillWithMarkers(m)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	hits := filesContaining(t, dir, []byte(plaintextMarker))
	t.Logf("control hits: %v", hits)
	if len(hits) == 0 {
		t.Fatal("scan found no marker in an unencrypted store: the at-rest test proves nothing")
	}
}
