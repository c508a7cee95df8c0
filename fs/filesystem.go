package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/sealfs/sealfs/cache"
	"github.com/sealfs/sealfs/cache/budget"
	"github.com/sealfs/sealfs/envelope"
	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/remote"
)

// DefaultVerifyOpenMax is the largest object verified in full at open.
const DefaultVerifyOpenMax = 128 << 20

// reservedPrefix marks names at the top of the store that sealfs keeps for
// itself (the volume file, the local tier's temp directory). They are
// hidden from listings and cannot be created through the mount.
const reservedPrefix = ".sealfs"

// Options configure a mounted filesystem.
type Options struct {
	// Store holds the objects. Required.
	Store remote.Store
	// Keyring wraps new data keys (its current KEK) and unwraps old ones. Required.
	Keyring *keyring.Keyring
	// Volume is the volume id: part of every object's identity.
	Volume [16]byte
	// ChunkSize is the plaintext chunk size of new objects (the volume's).
	ChunkSize int
	// StagingDir holds sealed staging files of randomly written files. Required.
	StagingDir string
	// SpoolDir, if set, receives a ciphertext copy of each object verified
	// at open, which the reads that follow use. Leave empty for stores
	// whose reads are already local (the local tier).
	SpoolDir string
	// CacheSize bounds the ciphertext kept in SpoolDir (0 = DefaultCacheSize).
	CacheSize int64
	// VerifyOpenMax is the largest object verified in full at open; larger
	// ones are verified chunk by chunk as they are read. 0 means DefaultVerifyOpenMax.
	VerifyOpenMax int64
	// AttrTimeout is how long the kernel may cache attributes and entries.
	AttrTimeout time.Duration
	// Budget bounds the bytes of encryption, decryption, upload and
	// download buffers across the mount. Nil means unlimited.
	Budget *budget.Budget
	// CommitBuffer is what the store may hold in memory while it sends one
	// object (cloud SDKs buffer a part or a block); it is taken from Budget
	// for the duration of each commit. 0 for the local tier.
	CommitBuffer int64
	// Meta caches attributes, negative entries and listings (with TTLs)
	// between the kernel's own caching and the store. Nil means none.
	Meta *cache.Meta
	// ListLookups resolves a name with one listing request instead of
	// stats (right for object stores, where each request is a round trip).
	ListLookups bool
	// WriteBack, if set, acknowledges fsync and close once the sealed
	// staging copy is durable in PendingDir, and uploads in the background.
	WriteBack *WriteBack
	// DirMarkers, if set, makes mkdir lazy: a directory's marker object
	// is written only if it stays empty (right for object stores, where
	// Orthanc's two directories per file would otherwise cost two more
	// requests per file). Nil writes the marker at mkdir.
	DirMarkers *DirMarkers
	// PendingDir holds acknowledged write-back versions not yet uploaded
	// (the journal). Files left there by an earlier mount are uploaded at
	// mount, whatever the mode. Required.
	PendingDir string
	// UID and GID own every file and directory (chown to anyone else is
	// refused with EPERM).
	UID, GID uint32
	// FileMode and DirMode are the permission bits of files and
	// directories whose own mode is not recorded (every node looked up
	// from the store; the object format stores no mode), and DirMode is
	// the root directory's. 0 means DefaultFileMode and DefaultDirMode.
	// Only permission bits (0o777) are allowed.
	FileMode, DirMode uint32
	// Umask is cleared from every mode shown and created, chmod included,
	// to cap what a mount allows whatever callers ask (077: owner only).
	// 0 (the default) keeps chmod's POSIX meaning. Only 0o777 bits.
	Umask uint32
	// Logger receives operational logs. Nil discards them.
	Logger *slog.Logger
}

// Default modes of nodes whose own mode is not recorded (Options.FileMode
// and DirMode): the owner's only, so that nothing widens after a remount.
const (
	DefaultFileMode = 0o600
	DefaultDirMode  = 0o700
)

// ErrInvalidMode means a mode setting holds more than permission bits.
var ErrInvalidMode = errors.New("mode: want permission bits only (0000..0777)")

// filesystem is the state shared by every node of one mount.
type filesystem struct {
	opts    Options
	store   remote.Store
	ring    *keyring.Keyring
	log     *slog.Logger
	meta    *cache.Meta
	spools  *spoolCache // nil without SpoolDir
	markers *DirMarkers // nil: markers written at mkdir
	root    *dirNode
	mounted atomic.Bool // the inode tree below root exists
	// journal holds acknowledged write-back changes not in the store yet
	// (always present: a write-through mount replays what one left).
	journal *journal
	// rootLargeUntil holds, as Unix nanoseconds, until when top-level
	// names are resolved one by one (the root was too large to list whole).
	rootLargeUntil atomic.Int64
}

func newFilesystem(opts Options) (*filesystem, error) {
	if opts.Store == nil || opts.Keyring == nil || opts.StagingDir == "" || opts.PendingDir == "" {
		return nil, errors.New("fs: Store, Keyring, StagingDir and PendingDir are required")
	}
	if opts.ChunkSize == 0 {
		opts.ChunkSize = envelope.DefaultChunkSize
	}
	for _, m := range []struct {
		name string
		mode *uint32
		def  uint32
	}{{"FileMode", &opts.FileMode, DefaultFileMode}, {"DirMode", &opts.DirMode, DefaultDirMode}, {"Umask", &opts.Umask, 0}} {
		if *m.mode&^0o777 != 0 {
			return nil, fmt.Errorf("fs: %s %#o: %w", m.name, *m.mode, ErrInvalidMode)
		}
		if *m.mode == 0 {
			*m.mode = m.def
		}
	}
	if opts.VerifyOpenMax == 0 {
		opts.VerifyOpenMax = DefaultVerifyOpenMax
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	for _, dir := range []string{opts.StagingDir, opts.PendingDir} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	if opts.SpoolDir != "" {
		if err := os.MkdirAll(opts.SpoolDir, 0o700); err != nil {
			return nil, err
		}
	}
	f := &filesystem{opts: opts, store: opts.Store, ring: opts.Keyring, log: opts.Logger, meta: opts.Meta, markers: opts.DirMarkers}
	f.journal = newJournal(opts.PendingDir, opts.Logger)
	f.root = f.newDirNode(opts.DirMode)
	if f.markers != nil {
		f.markers.start(f)
	}
	if opts.SpoolDir != "" {
		if opts.CacheSize == 0 {
			opts.CacheSize = DefaultCacheSize
		}
		f.spools = newSpoolCache(opts.SpoolDir, opts.CacheSize, opts.Logger)
	}
	return f, nil
}

// objectKey maps a logical path ("xx/yy/name") to its object key. It is the
// one place that knows the mapping (encrypted names would change it).
func objectKey(logical string) string { return logical }

// markerKey is the key of a directory's marker object.
func markerKey(logical string) string { return objectKey(logical) + "/" }

// dirPrefix is the listing prefix of a directory ("" for the root).
func dirPrefix(logical string) string {
	if logical == "" {
		return ""
	}
	return objectKey(logical) + "/"
}

// logicalName maps a listed key back to the entry name inside dir prefix.
func logicalName(key, prefix string) string {
	return strings.TrimSuffix(strings.TrimPrefix(key, prefix), "/")
}

// identity is what a file's object is bound to: the volume and its path.
func (f *filesystem) identity(logical string) envelope.Identity {
	return envelope.Identity{Volume: f.opts.Volume, Path: logical}
}

// reserved reports whether name may not be used at the given directory.
// nameErrno answers ENAMETOOLONG for a name over NAME_MAX (255 bytes)
// and, when creating, for a path the store cannot key (its marker key
// included); 0 otherwise. Checked before anything is accepted, so that a
// write is never taken that its close could not store.
func nameErrno(dir, name string, creating bool) syscall.Errno {
	if len(name) > remote.MaxNameLen {
		return syscall.ENAMETOOLONG
	}
	if creating && len(markerKey(childPath(dir, name))) > remote.MaxKeyLen {
		return syscall.ENAMETOOLONG
	}
	return 0
}

func reserved(dir, name string) bool {
	return dir == "" && strings.HasPrefix(name, reservedPrefix)
}

func childPath(dir, name string) string {
	if dir == "" {
		return name
	}
	return path.Join(dir, name)
}

// maskMode returns the mode a node gets for mode m (from create, mkdir,
// chmod or the defaults): no set-id bits, and nothing Umask clears.
func (f *filesystem) maskMode(m uint32) uint32 {
	return m & 0o7777 &^ (syscall.S_ISUID | syscall.S_ISGID) &^ f.opts.Umask
}

// checkOwner refuses (EPERM) a chown to anyone but the mount's owner:
// every file belongs to Options.UID and GID, and nothing else could be
// stored, so pretending to succeed would be a lie.
func (f *filesystem) checkOwner(in *fuse.SetAttrIn) syscall.Errno {
	if uid, ok := in.GetUID(); ok && uid != f.opts.UID {
		return syscall.EPERM
	}
	if gid, ok := in.GetGID(); ok && gid != f.opts.GID {
		return syscall.EPERM
	}
	return 0
}

// detach drops the kernel's cancellation from a request's context. The
// kernel interrupts a request whenever the calling thread takes a signal
// (Go programs take them all the time), and a store operation abandoned
// half way would answer EINTR for work that may already be done, or leave
// an upload behind. The store's own timeouts and bounded retries limit how
// long an operation runs instead.
func detach(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// errno maps an error from the store, the envelope or the OS to what the
// kernel gets. Everything unexpected is EIO: never a success.
func errno(err error) syscall.Errno {
	var en syscall.Errno
	switch {
	case err == nil:
		return 0
	case errors.Is(err, remote.ErrNotFound):
		return syscall.ENOENT
	case errors.Is(err, remote.ErrNotEmpty):
		return syscall.ENOTEMPTY
	case errors.Is(err, remote.ErrInvalidKey):
		return syscall.EINVAL
	case errors.Is(err, context.Canceled):
		return syscall.EINTR
	case errors.Is(err, syscall.ENOSPC):
		return syscall.ENOSPC
	case errors.Is(err, syscall.EDQUOT):
		return syscall.EDQUOT
	case errors.As(err, &en) && en == syscall.EROFS:
		return syscall.EROFS
	}
	return syscall.EIO
}
