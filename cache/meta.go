package cache

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/sealfs/sealfs/keyring"
)

// Default TTLs of MetaOptions.
const (
	DefaultAttrTTL     = 2 * time.Second
	DefaultNegativeTTL = 1 * time.Second
	DefaultListTTL     = 2 * time.Second
)

// gcInterval is how often the value log is garbage-collected.
const gcInterval = 5 * time.Minute

// MetaOptions configures a Meta cache. Zero fields take the defaults.
type MetaOptions struct {
	AttrTTL     time.Duration // how long an attribute stays valid; default 2s
	NegativeTTL time.Duration // how long "does not exist" stays valid; default 1s
	ListTTL     time.Duration // how long a directory listing stays valid; default 2s
	Logger      *slog.Logger  // nil discards logs
}

// Attr is the cached metadata of one path. Size is the ciphertext size as
// the store reports it.
type Attr struct {
	Size    int64
	Version string
	ModTime time.Time
	IsDir   bool
}

// Lookup is the outcome of Meta.Get.
type Lookup int

const (
	// Miss means the cache knows nothing (valid) about the path.
	Miss Lookup = iota
	// Hit means the cache holds the path's attributes.
	Hit
	// Negative means the cache recently saw that the path does not exist.
	Negative
)

// String names the outcome.
func (l Lookup) String() string {
	switch l {
	case Miss:
		return "miss"
	case Hit:
		return "hit"
	case Negative:
		return "negative"
	}
	return fmt.Sprintf("lookup(%d)", int(l))
}

// Meta is the metadata cache: attributes, negative entries and directory
// listings with TTLs, in an encrypted Badger store. Paths are logical paths
// as the filesystem names them ("a/b/c", "" for the root). Failures to read
// or write the cache are logged and count as misses: the cache never fails
// a filesystem operation. Meta is safe for concurrent use.
type Meta struct {
	opts MetaOptions
	log  *slog.Logger
	now  func() time.Time

	mu        sync.RWMutex // held for reading by every operation, for writing by Close
	db        *badger.DB
	badgerKey []byte // Badger's copy of the state key, which it uses for as long as it is open
	closed    bool

	stopGC chan struct{}
	gcDone chan struct{}
}

// OpenMeta opens (creating if needed) the metadata cache in dir, which is
// STATE_DIR/meta. The cache's state key is unwrapped with ring, and
// rewrapped under ring's current KEK if another KEK wrapped it.
func OpenMeta(dir string, ring *keyring.Keyring, opts MetaOptions) (*Meta, error) {
	if opts.AttrTTL <= 0 {
		opts.AttrTTL = DefaultAttrTTL
	}
	if opts.NegativeTTL <= 0 {
		opts.NegativeTTL = DefaultNegativeTTL
	}
	if opts.ListTTL <= 0 {
		opts.ListTTL = DefaultListTTL
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	key, err := openStateKey(dir, ring, log)
	if err != nil {
		return nil, err
	}
	// Badger keeps (and uses, when it rotates its data keys) the very slice
	// it is given rather than a copy, so it gets its own copy, cleared by
	// Close; ours is cleared now.
	badgerKey := append([]byte(nil), key...)
	clear(key)
	db, err := badger.Open(badgerOptions(filepath.Join(dir, badgerDirName), badgerKey, log))
	if err != nil {
		clear(badgerKey)
		if errors.Is(err, badger.ErrEncryptionKeyMismatch) {
			return nil, fmt.Errorf("cache: the state key does not open the cache (%w); %s", err, rebuildHint(dir))
		}
		// No rebuild hint here: the likely cause is another process holding
		// the cache open, whose files must not be deleted under it.
		return nil, fmt.Errorf("cache: opening badger in %s: %w", dir, err)
	}
	m := &Meta{
		opts:      opts,
		log:       log,
		now:       time.Now,
		db:        db,
		badgerKey: badgerKey,
		stopGC:    make(chan struct{}),
		gcDone:    make(chan struct{}),
	}
	go m.gcLoop(gcInterval)
	return m, nil
}

// badgerOptions configures Badger for a small, encrypted cache: no fsync
// per write, one version per key, small memtables and caches.
func badgerOptions(dir string, key []byte, log *slog.Logger) badger.Options {
	return badger.DefaultOptions(dir).
		WithEncryptionKey(key).
		WithIndexCacheSize(4 << 20). // required with encryption
		WithBlockCacheSize(4 << 20).
		WithMemTableSize(8 << 20).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(8).
		WithValueLogFileSize(16 << 20).
		WithNumVersionsToKeep(1).
		WithNumCompactors(2).
		WithSyncWrites(false).
		WithDetectConflicts(false).
		WithMetricsEnabled(false).
		WithLogger(badgerLogger{log: log}).
		WithLoggingLevel(badger.WARNING)
}

// Close stops the cache and closes the Badger store. Later operations are
// misses and no-ops. Closing twice is harmless.
func (m *Meta) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	close(m.stopGC)
	<-m.gcDone
	err := m.db.Close()
	clear(m.badgerKey)
	if err != nil {
		return fmt.Errorf("cache: closing badger: %w", err)
	}
	return nil
}

// gcLoop runs value-log garbage collection every interval until Close.
func (m *Meta) gcLoop(interval time.Duration) {
	defer close(m.gcDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-m.stopGC:
			return
		case <-t.C:
			m.runGC()
		}
	}
}

// runGC rewrites value-log files until Badger finds none worth rewriting.
func (m *Meta) runGC() {
	for {
		select {
		case <-m.stopGC:
			return
		default:
		}
		err := m.db.RunValueLogGC(0.5)
		if err == nil {
			continue
		}
		if !errors.Is(err, badger.ErrNoRewrite) && !errors.Is(err, badger.ErrRejected) {
			m.log.Warn("cache: value log GC failed", "err", err)
		}
		return
	}
}
