package local

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sealfs/sealfs/remote"
)

// Options configures a Store.
type Options struct {
	// Logger receives the store's logs; nil means slog.Default().
	Logger *slog.Logger
	// SyncDirs fsyncs every directory an object commit changed, even on a
	// filesystem whose journal already makes them durable with the
	// object's own fsync (see journalOrder). For paranoid operators and
	// for tests; it costs a journal commit per directory.
	SyncDirs bool
}

// Store is a remote.Store over a local directory. It is safe for
// concurrent use, also by several processes sharing the directory.
type Store struct {
	root   string // absolute, cleaned
	tmpDir string // root/.sealfs-tmp
	log    *slog.Logger
	locks  *keyLocks
	closed atomic.Bool

	unsynced dirSet // directories created for markers, not fsynced yet
	// ordered is set when an object's fsync after its rename also makes
	// the directory changes before it durable: directories are then not
	// fsynced on commit.
	ordered bool
}

var (
	_ remote.Store         = (*Store)(nil)
	_ remote.SpaceReporter = (*Store)(nil)
)

// New opens the store kept in root, which must be an existing directory.
// It creates root/.sealfs-tmp if needed, checks that the filesystem keeps
// nanosecond timestamps and supports RENAME_NOREPLACE, and removes temp
// files left untouched for more than 24 hours.
func New(root string, opts Options) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("local: store root %q: %w", root, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("local: store root: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("local: store root %s: %w", abs, unix.ENOTDIR)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	tmpDir, err := makeTmpDir(abs)
	if err != nil {
		return nil, err
	}
	if err := probeFilesystem(tmpDir); err != nil {
		return nil, err
	}
	locks, err := openKeyLocks(filepath.Join(tmpDir, lockFileName))
	if err != nil {
		return nil, err
	}
	sweepStaleTemps(tmpDir, time.Now(), log)
	ordered, reason := journalOrder(abs)
	if opts.SyncDirs {
		ordered, reason = false, "directories are fsynced (sync_dirs)"
	}
	log.Info("local: commit durability", "root", abs, "one_fsync_per_object", ordered, "why", reason)
	return &Store{root: abs, tmpDir: tmpDir, log: log, locks: locks, ordered: ordered}, nil
}

// Close releases the store's lock file. Operations after Close fail.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.locks.close()
}

// path returns the file system path of key (a marker's directory for a
// marker key). The key must have been validated.
func (s *Store) path(key string) string {
	return s.root + "/" + strings.TrimSuffix(key, "/")
}

// begin validates key and checks that the store is open and ctx is live:
// the preamble of every keyed operation.
func (s *Store) begin(ctx context.Context, op, key string) (isMarker bool, err error) {
	isMarker, err = checkKey(key)
	if err != nil {
		return false, err
	}
	if err := s.ready(ctx); err != nil {
		return false, opError(op, key, err)
	}
	return isMarker, nil
}

// ready reports ctx's error, or fs.ErrClosed after Close.
func (s *Store) ready(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return fs.ErrClosed
	}
	return nil
}
