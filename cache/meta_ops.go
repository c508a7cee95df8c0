package cache

import (
	"errors"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/sealfs/sealfs/remote"
)

// Key namespaces in the Badger store.
const (
	prefixAttr     = "a:"
	prefixNegative = "n:"
	prefixListing  = "l:"
)

func attrKey(path string) []byte     { return []byte(prefixAttr + path) }
func negativeKey(path string) []byte { return []byte(prefixNegative + path) }
func listingKey(dir string) []byte   { return []byte(prefixListing + dir) }

// parentDir returns the directory holding path: "a/b" for "a/b/c", "" (the
// root) for "c".
func parentDir(path string) string {
	path = strings.TrimSuffix(path, "/")
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[:i]
	}
	return ""
}

// Get returns path's cached attributes (Hit), a recent "does not exist"
// (Negative), or Miss.
func (m *Meta) Get(path string) (Attr, Lookup) {
	var (
		attr   Attr
		result = Miss
	)
	m.view(func(txn *badger.Txn) error {
		now := m.now()
		if v, ok := m.value(txn, attrKey(path)); ok {
			if a, expiry, err := decodeAttr(v); err == nil && now.Before(expiry) {
				attr, result = a, Hit
				return nil
			}
		}
		if v, ok := m.value(txn, negativeKey(path)); ok {
			if expiry, err := decodeNegative(v); err == nil && now.Before(expiry) {
				result = Negative
			}
		}
		return nil
	})
	return attr, result
}

// Put caches path's attributes for AttrTTL, replacing a negative entry.
func (m *Meta) Put(path string, a Attr) { m.Apply(func(e *Edit) { e.Put(path, a) }) }

// PutNegative caches that path does not exist, for NegativeTTL, replacing
// its attributes.
func (m *Meta) PutNegative(path string) { m.Apply(func(e *Edit) { e.PutNegative(path) }) }

// Listing returns the cached listing of dir, if any.
func (m *Meta) Listing(dir string) ([]remote.Entry, bool) {
	var (
		entries []remote.Entry
		found   bool
	)
	m.view(func(txn *badger.Txn) error {
		v, ok := m.value(txn, listingKey(dir))
		if !ok {
			return nil
		}
		e, expiry, err := decodeListing(v)
		if err == nil && m.now().Before(expiry) {
			entries, found = e, true
		}
		return nil
	})
	return entries, found
}

// PutListing caches dir's listing for ListTTL.
func (m *Meta) PutListing(dir string, entries []remote.Entry) {
	m.Apply(func(e *Edit) { e.PutListing(dir, entries) })
}

// PutListings caches several directories' listings for ListTTL in one
// transaction (the listings derived from one recursive listing).
func (m *Meta) PutListings(listings map[string][]remote.Entry) {
	m.Apply(func(e *Edit) {
		for dir, entries := range listings {
			e.PutListing(dir, entries)
		}
	})
}

// EditListing applies a change this process made in directory dir to its
// cached listing (see Edit.EditListing).
func (m *Meta) EditListing(dir, key string, entry *remote.Entry) {
	m.Apply(func(e *Edit) { e.EditListing(dir, key, entry) })
}

// ForgetEntry drops path's attributes or negative entry and, should path
// be a directory, its own listing, but keeps its parent's listing (for
// callers that edit that listing with EditListing instead).
func (m *Meta) ForgetEntry(path string) { m.Apply(func(e *Edit) { e.ForgetEntry(path) }) }

// AttrTTL is how long an attribute stays valid: what the store said is
// trusted for that long.
func (m *Meta) AttrTTL() time.Duration { return m.opts.AttrTTL }

// Forget drops path's attributes or negative entry, its parent's listing
// and, should path be a directory, its own listing.
func (m *Meta) Forget(path string) { m.Apply(func(e *Edit) { e.Forget(path) }) }

// value returns the value stored at key, copied out of the transaction.
func (m *Meta) value(txn *badger.Txn, key []byte) ([]byte, bool) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false
	}
	if err != nil {
		m.log.Warn("cache: read failed", "err", err)
		return nil, false
	}
	v, err := item.ValueCopy(nil)
	if err != nil {
		m.log.Warn("cache: read failed", "err", err)
		return nil, false
	}
	return v, true
}

// view runs fn in a read transaction unless the cache is closed.
func (m *Meta) view(fn func(*badger.Txn) error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return
	}
	if err := m.db.View(fn); err != nil {
		m.log.Warn("cache: read failed", "err", err)
	}
}

// Clear drops every entry. A mount calls it at start: entries live seconds,
// and ones written just before a crash may not match what the store got
// (a negative entry for a directory whose marker was committed, say).
func (m *Meta) Clear() error {
	return m.db.DropAll()
}
