package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sealfs/sealfs/keyring/fileperm"
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
//
// Every key is resolved beneath a descriptor of the root opened once by
// New, following no symbolic link (openat2 with RESOLVE_BENEATH and
// RESOLVE_NO_SYMLINKS, or a walk with O_NOFOLLOW where openat2 is
// missing), and changed with the *at calls relative to the descriptor of
// its directory; see ErrOutsideRoot.
type Store struct {
	root   string // absolute, cleaned; for messages
	rootFD int    // the root directory
	tmpFD  int    // root/.sealfs-tmp
	tmpDir string // root/.sealfs-tmp, for messages and temp file names
	log    *slog.Logger
	locks  *keyLocks
	fds    fdRefs // keeps rootFD and tmpFD open while in use

	// useOpenat2 is false where the kernel lacks openat2: keys are then
	// resolved one component at a time.
	useOpenat2 bool

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

// ErrInsecureRoot means the store's root directory is writable by group
// or others, or owned by a user other than the daemon's or root: anyone
// who can write there could plant symbolic links or swap objects.
var ErrInsecureRoot = errors.New("store root permissions are too open")

// New opens the store kept in root, which must be an existing directory
// owned by the process's user or root and not writable by group or others
// (ErrInsecureRoot); a symbolic link naming the root itself is followed.
// It creates root/.sealfs-tmp if needed, checks that the filesystem keeps
// nanosecond timestamps and supports RENAME_NOREPLACE, and removes temp
// files left untouched for more than 24 hours.
func New(root string, opts Options) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("local: store root %q: %w", root, err)
	}
	rootFD, err := openatRetry(unix.AT_FDCWD, abs, dirFlags|unix.O_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("local: store root %s: %w", abs, err)
	}
	s, err := open(abs, rootFD, opts)
	if err != nil {
		unix.Close(rootFD)
		return nil, err
	}
	return s, nil
}

// open sets up the store over the root directory rootFD. It closes no
// descriptor it was given.
func open(abs string, rootFD int, opts Options) (*Store, error) {
	var st unix.Stat_t
	if err := unix.Fstat(rootFD, &st); err != nil {
		return nil, fmt.Errorf("local: store root %s: %w", abs, err)
	}
	rule := fileperm.Rule{What: "store root", Forbidden: 0o022, Fix: "go-w"}
	if err := rule.Check(ErrInsecureRoot, abs, fs.FileMode(st.Mode), st.Uid); err != nil {
		return nil, fmt.Errorf("local: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Store{root: abs, rootFD: rootFD, tmpDir: filepath.Join(abs, tmpDirName), log: log, useOpenat2: probeOpenat2(rootFD)}
	if !s.useOpenat2 {
		log.Info("local: openat2 is not available: keys are resolved one directory at a time", "root", abs)
	}
	var err error
	if s.tmpFD, err = makeTmpDir(rootFD, s.tmpDir); err != nil {
		return nil, err
	}
	if err := probeFilesystem(s.tmpFD, s.tmpDir); err != nil {
		unix.Close(s.tmpFD)
		return nil, err
	}
	if s.locks, err = openKeyLocks(s.tmpFD, filepath.Join(s.tmpDir, lockFileName)); err != nil {
		unix.Close(s.tmpFD)
		return nil, err
	}
	sweepStaleTemps(s.tmpFD, s.tmpDir, time.Now(), log)
	ordered, reason := journalOrder(rootFD)
	if opts.SyncDirs {
		ordered, reason = false, "directories are fsynced (sync_dirs)"
	}
	s.ordered = ordered
	log.Info("local: commit durability", "root", abs, "one_fsync_per_object", ordered, "why", reason)
	s.fds.init(func() {
		// The lock file holds no data: an error closing it is moot.
		_ = s.locks.close()
		unix.Close(s.tmpFD)
		unix.Close(s.rootFD)
	})
	return s, nil
}

// Close makes later operations fail with fs.ErrClosed. The store's
// descriptors (root, temp directory, lock file) are closed at once, or as
// soon as the operations and uploads still under way are done.
func (s *Store) Close() error {
	s.fds.shut()
	return nil
}

// begin validates key, checks that ctx is live and takes a reference on
// the store's descriptors (fs.ErrClosed after Close): the preamble of
// every keyed operation. Callers release the reference with s.fds.release.
func (s *Store) begin(ctx context.Context, op, key string) (isMarker bool, err error) {
	isMarker, err = checkKey(key)
	if err != nil {
		return false, err
	}
	if err := s.hold(ctx); err != nil {
		return false, opError(op, key, err)
	}
	return isMarker, nil
}

// hold reports ctx's error, or fs.ErrClosed after Close; otherwise it
// takes a reference on the store's descriptors, for s.fds.release.
func (s *Store) hold(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !s.fds.acquire() {
		return fs.ErrClosed
	}
	return nil
}

// ready reports ctx's error, or fs.ErrClosed after Close.
func (s *Store) ready(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.fds.isShut() {
		return fs.ErrClosed
	}
	return nil
}

// fdRefs counts the users of the store's directory descriptors, so that
// Close never closes one under an operation (which could then act on an
// unrelated file given the same number).
type fdRefs struct {
	mu       sync.Mutex
	refs     int
	shutting bool
	closeFn  func() // closes the descriptors; nil once done
}

// init arms r with the function that closes the descriptors.
func (r *fdRefs) init(closeFn func()) { r.closeFn = closeFn }

// acquire takes a reference, unless the store is closed.
func (r *fdRefs) acquire() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.shutting {
		return false
	}
	r.refs++
	return true
}

// release gives back a reference; the last one after shut closes.
func (r *fdRefs) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refs--
	r.closeIfIdle()
}

// shut refuses new references and closes the descriptors once none is
// held.
func (r *fdRefs) shut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.shutting = true
	r.closeIfIdle()
}

// isShut reports whether shut was called.
func (r *fdRefs) isShut() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.shutting
}

// closeIfIdle closes the descriptors if shut and unused. r.mu is held.
func (r *fdRefs) closeIfIdle() {
	if r.shutting && r.refs == 0 && r.closeFn != nil {
		r.closeFn()
		r.closeFn = nil
	}
}
