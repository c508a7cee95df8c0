package fs

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/sealfs/sealfs/remote"
)

func TestSpoolCacheHitsAndEvictsLeastRecentlyUsed(t *testing.T) {
	dir := t.TempDir()
	c := newSpoolCache(dir, 250, slog.New(slog.DiscardHandler))
	fetches := 0
	get := func(key, version string, size int) []byte {
		t.Helper()
		f, err := c.open(remote.Info{Key: key, Version: version, Size: int64(size)}, func(w io.Writer) error {
			fetches++
			_, err := w.Write(bytes.Repeat([]byte(key), size/len(key)))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		data, _ := io.ReadAll(f)
		return data
	}
	get("aa", "v1", 100)
	get("aa", "v1", 100)
	if fetches != 1 {
		t.Fatalf("second open of the same version fetched again (%d fetches)", fetches)
	}
	get("aa", "v2", 100) // a new version is a new entry
	if fetches != 2 {
		t.Fatalf("new version not fetched (%d)", fetches)
	}
	time.Sleep(10 * time.Millisecond)
	get("aa", "v1", 100) // v1 now most recently used
	get("bb", "v1", 100) // over the 250-byte limit: v2 (least recent) goes
	if c.total > 250 {
		t.Errorf("cache holds %d bytes, limit 250", c.total)
	}
	before := fetches
	get("aa", "v1", 100)
	if fetches != before {
		t.Errorf("the recently used entry was evicted")
	}
	get("aa", "v2", 100)
	if fetches != before+1 {
		t.Errorf("the least recently used entry was kept")
	}
	entries, _ := os.ReadDir(dir)
	var size int64
	for _, e := range entries {
		info, _ := e.Info()
		size += info.Size()
	}
	if size > 250 {
		t.Errorf("%d bytes on disk, limit 250", size)
	}
}
