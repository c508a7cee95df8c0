package fs

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sealfs/sealfs/remote"
)

// DefaultCacheSize is the default limit of the on-disk ciphertext cache.
const DefaultCacheSize = 1 << 30

// spoolCache keeps the ciphertext of object versions verified at open in
// SpoolDir, one file per (key, version), so that reading the same object
// again costs no download. It holds ciphertext only (every open verifies
// it again), is bounded in bytes, and evicts the least recently used
// files. Losing it loses nothing: the store is the source of truth.
type spoolCache struct {
	dir   string
	limit int64
	log   *slog.Logger

	mu    sync.Mutex
	total int64
	files map[string]*cachedFile
}

type cachedFile struct {
	size     int64
	lastUsed time.Time
}

func newSpoolCache(dir string, limit int64, log *slog.Logger) *spoolCache {
	c := &spoolCache{dir: dir, limit: limit, log: log, files: map[string]*cachedFile{}}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !e.Type().IsRegular() {
			continue
		}
		if strings.HasPrefix(e.Name(), "tmp-") { // an interrupted download
			os.Remove(filepath.Join(dir, e.Name()))
			continue
		}
		c.files[e.Name()] = &cachedFile{size: info.Size(), lastUsed: info.ModTime()}
		c.total += info.Size()
	}
	c.evict()
	return c
}

// name is the cache file of one object version.
func (c *spoolCache) name(info remote.Info) string {
	sum := sha256.Sum256([]byte(info.Key + "\x00" + info.Version))
	return hex.EncodeToString(sum[:])
}

// open returns the cached ciphertext of info's version, fetching it with
// fetch (into a temp file, then renamed into place) on a miss.
func (c *spoolCache) open(info remote.Info, fetch func(w io.Writer) error) (*os.File, error) {
	name := c.name(info)
	path := filepath.Join(c.dir, name)
	if f, err := os.Open(path); err == nil {
		if st, err := f.Stat(); err == nil && st.Size() == info.Size {
			c.touch(name, st.Size())
			return f, nil
		}
		f.Close()
	}
	tmp, err := os.CreateTemp(c.dir, "tmp-")
	if err != nil {
		return nil, err
	}
	if err := fetch(tmp); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	c.touch(name, info.Size)
	return tmp, nil
}

// drop forgets info's version (it failed verification: fetch it anew).
func (c *spoolCache) drop(info remote.Info) {
	name := c.name(info)
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.files[name]; ok {
		c.total -= f.size
		delete(c.files, name)
	}
	os.Remove(filepath.Join(c.dir, name))
}

func (c *spoolCache) touch(name string, size int64) {
	now := time.Now()
	c.mu.Lock()
	if f, ok := c.files[name]; ok {
		f.lastUsed = now
	} else {
		c.files[name] = &cachedFile{size: size, lastUsed: now}
		c.total += size
	}
	c.mu.Unlock()
	os.Chtimes(filepath.Join(c.dir, name), now, now)
	c.evict()
}

// evict removes least recently used files until the cache fits its limit
// (an open file stays readable until closed).
func (c *spoolCache) evict() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.total <= c.limit {
		return
	}
	names := make([]string, 0, len(c.files))
	for n := range c.files {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return c.files[names[i]].lastUsed.Before(c.files[names[j]].lastUsed) })
	for _, n := range names {
		if c.total <= c.limit {
			break
		}
		os.Remove(filepath.Join(c.dir, n))
		c.total -= c.files[n].size
		delete(c.files, n)
	}
}
