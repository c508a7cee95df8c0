// Package remote defines the Store interface through which sealfs keeps its
// objects, and the errors every backend maps its failures to. Backends live
// in subpackages (local, and later s3, gcs, azure); remote knows nothing of
// encryption: it moves opaque bytes.
package remote

import (
	"context"
	"errors"
	"io"
	"time"
)

// Errors every backend maps its failures to. Test with errors.Is.
var (
	// ErrNotFound means the key does not exist (or the version asked for is gone).
	ErrNotFound = errors.New("object not found")
	// ErrPreconditionFailed means a conditional write or a pinned read saw a
	// different version than the one named (or an object where none was expected).
	ErrPreconditionFailed = errors.New("precondition failed: object changed")
	// ErrInvalidKey means a key is not acceptable to the store (empty, "..", reserved name).
	ErrInvalidKey = errors.New("invalid object key")
	// ErrNotEmpty means a directory marker could not be deleted because keys exist below it.
	ErrNotEmpty = errors.New("prefix not empty")
	// ErrUnavailable marks a transient failure worth retrying: throttling,
	// a 5xx answer, a refused, reset or timed-out connection. Backends wrap
	// such errors with it (keeping the cause); the retry wrapper retries
	// exactly these, a bounded number of times.
	ErrUnavailable = errors.New("store temporarily unavailable")
)

// Info describes one stored object.
type Info struct {
	Key     string
	Size    int64
	Version string // opaque token that changes on every write: ETag, generation, inode+mtime
	ModTime time.Time
}

// Entry is one item of a listing: an object, or (non-recursive listings
// only) a common prefix standing for a subdirectory, whose Key ends in "/".
type Entry struct {
	Info
	IsPrefix bool
}

// Condition makes a write or delete conditional. The zero value is unconditional.
type Condition struct {
	// IfAbsent fails the write with ErrPreconditionFailed if the key exists.
	IfAbsent bool
	// IfMatch fails the operation with ErrPreconditionFailed unless the
	// object's current Version equals it.
	IfMatch string
}

// Store is a flat namespace of immutable objects named by keys such as
// "xx/yy/name". A key ending in "/" is a directory marker (an empty object
// that keeps an empty directory visible). All methods are safe for
// concurrent use and honour ctx cancellation.
type Store interface {
	// Stat returns the object's Info, or ErrNotFound.
	Stat(ctx context.Context, key string) (Info, error)
	// Open returns a reader pinned to one version of the object: version ""
	// means the current one. If the object is replaced later, reads either
	// keep seeing the opened version or fail with ErrPreconditionFailed;
	// they never mix versions.
	Open(ctx context.Context, key, version string) (Object, error)
	// Create starts writing a new object. Commit returns only when the
	// object is durable (a new key may become visible a moment before).
	// A directory marker, like mkdir(2), may become durable only with the
	// first object committed below it.
	Create(ctx context.Context, key string) (Upload, error)
	// Delete removes the object. Deleting a missing key succeeds; deleting
	// a directory marker with keys below it fails with ErrNotEmpty.
	Delete(ctx context.Context, key string, cond Condition) error
	// List calls fn for every key under prefix in lexical order. If
	// recursive is false it stops at the next "/" and reports each
	// subdirectory once as an Entry with IsPrefix set. The key equal to
	// prefix itself (a directory's own marker) is not reported.
	List(ctx context.Context, prefix string, recursive bool, fn func(Entry) error) error
	// Close releases the store's resources.
	Close() error
}

// Object is a read-only handle on one version of an object.
type Object interface {
	io.ReaderAt
	// Info describes the pinned version.
	Info() Info
	Close() error
}

// Upload is an object being written. Write appends; ReadAt reads back what
// was written so far (the writer may need it before committing).
type Upload interface {
	io.Writer
	io.ReaderAt
	// Size returns the number of bytes written so far.
	Size() int64
	// Commit makes the object visible and durable at its key, subject to
	// cond, and returns its Info. After a Commit that failed with
	// ErrUnavailable, Commit may be called again (the bytes written are
	// kept); after any other outcome, or Abort, the upload is done.
	Commit(ctx context.Context, cond Condition) (Info, error)
	// Abort discards the upload.
	Abort() error
}

// VersionOpener is implemented by stores that can open a version already
// known (from a listing or a stat made moments ago) without a request of
// their own: the object's first read is the first request. Every read is
// pinned to info.Version and fails with ErrPreconditionFailed (or
// ErrNotFound) once the store holds another version or none, so reads
// never mix versions; what Open would have refused, the first read refuses.
type VersionOpener interface {
	// OpenVersion returns a reader on info.Version of info.Key, which is
	// info.Size bytes long. info.Version must not be empty.
	OpenVersion(ctx context.Context, info Info) (Object, error)
}

// SpaceReporter is implemented by stores that know their capacity (the
// local tier). The filesystem reports it in statfs.
type SpaceReporter interface {
	Space(ctx context.Context) (total, free uint64, err error)
}
