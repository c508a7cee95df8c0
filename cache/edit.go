package cache

import (
	"cmp"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/sealfs/sealfs/remote"
)

// Edit collects changes to the cache that Apply makes in one transaction.
// Its methods read what earlier ones in the same Edit wrote.
type Edit struct {
	m   *Meta
	txn *badger.Txn
	err error // the first failure; later changes are skipped
}

// Apply makes the changes fn adds to its Edit in one write transaction,
// committed without waiting for Badger to write it: the filesystem
// operation that changed the cache goes on at once. Every read that
// starts after Apply returns sees the changes (Badger's reads wait for the
// commits already under way), so the cache stays consistent with this
// process's own changes. A failure is logged: a change the cache lost
// only costs a later miss.
func (m *Meta) Apply(fn func(e *Edit)) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return
	}
	e := &Edit{m: m, txn: m.db.NewTransaction(true)}
	fn(e)
	if e.err != nil {
		e.txn.Discard()
		m.log.Warn("cache: write failed", "err", e.err)
		return
	}
	e.txn.CommitWith(func(err error) {
		if err != nil {
			m.log.Warn("cache: write failed", "err", err)
		}
	})
}

// do runs one change unless an earlier one failed.
func (e *Edit) do(change func() error) {
	if e.err == nil {
		e.err = change()
	}
}

// Put caches path's attributes for AttrTTL, replacing a negative entry.
func (e *Edit) Put(path string, a Attr) {
	e.do(func() error {
		if err := e.set(attrKey(path), e.m.opts.AttrTTL, func(expiry time.Time) []byte { return encodeAttr(a, expiry) }); err != nil {
			return err
		}
		return e.txn.Delete(negativeKey(path))
	})
}

// PutNegative caches that path does not exist, for NegativeTTL, replacing
// its attributes.
func (e *Edit) PutNegative(path string) {
	e.do(func() error {
		if err := e.set(negativeKey(path), e.m.opts.NegativeTTL, encodeNegative); err != nil {
			return err
		}
		return e.txn.Delete(attrKey(path))
	})
}

// PutListing caches dir's listing for ListTTL.
func (e *Edit) PutListing(dir string, entries []remote.Entry) {
	e.do(func() error {
		return e.set(listingKey(dir), e.m.opts.ListTTL, func(expiry time.Time) []byte { return encodeListing(entries, expiry) })
	})
}

// EditListing applies a change this process made in directory dir to its
// cached listing, if a valid one exists: the entry whose Key is key is
// removed, and entry (whose Key must be key) inserted in key order unless
// it is nil. The listing keeps its expiry, so an edited listing is never
// trusted longer than the store's own answer would have been.
func (e *Edit) EditListing(dir, key string, entry *remote.Entry) {
	e.do(func() error {
		v, ok := e.m.value(e.txn, listingKey(dir))
		if !ok {
			return nil
		}
		entries, expiry, err := decodeListing(v)
		if err != nil || !e.m.now().Before(expiry) {
			return e.txn.Delete(listingKey(dir))
		}
		entries = slices.DeleteFunc(entries, func(x remote.Entry) bool { return x.Key == key })
		if entry != nil {
			i, _ := slices.BinarySearchFunc(entries, key, func(x remote.Entry, k string) int { return cmp.Compare(x.Key, k) })
			entries = slices.Insert(entries, i, *entry)
		}
		be := badger.NewEntry(listingKey(dir), encodeListing(entries, expiry))
		be.ExpiresAt = uint64(expiry.Unix()) + 1
		return e.txn.SetEntry(be)
	})
}

// ForgetEntry drops path's attributes or negative entry and, should path
// be a directory, its own listing, but keeps its parent's listing.
func (e *Edit) ForgetEntry(path string) {
	e.delete(attrKey(path), negativeKey(path), listingKey(path))
}

// Forget drops path's attributes or negative entry, its parent's listing
// and, should path be a directory, its own listing.
func (e *Edit) Forget(path string) {
	e.delete(attrKey(path), negativeKey(path), listingKey(parentDir(path)), listingKey(path))
}

// delete removes keys.
func (e *Edit) delete(keys ...[]byte) {
	e.do(func() error {
		for _, k := range keys {
			if err := e.txn.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// set stores the value encode makes for an expiry ttl from now. Badger's own
// TTL (whole seconds, rounded up) only lets it discard the entry later; the
// exact expiry inside the value decides whether it is still valid.
func (e *Edit) set(key []byte, ttl time.Duration, encode func(expiry time.Time) []byte) error {
	expiry := e.m.now().Add(ttl)
	be := badger.NewEntry(key, encode(expiry))
	be.ExpiresAt = uint64(expiry.Unix()) + 1
	return e.txn.SetEntry(be)
}
