package maintain

import (
	"errors"
	"maps"
	"slices"

	"github.com/sealfs/sealfs/envelope"
	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/remote"
)

// Errors a run reports for single objects (in Failure.Err) or returns.
// Test with errors.Is.
var (
	// ErrChunkSize means an object was sealed with another chunk size than
	// the volume's: a mount refuses it at open.
	ErrChunkSize = errors.New("object chunk size differs from the volume's")
	// ErrConcurrentChange means an object kept changing between its read
	// and its conditional rewrite, every attempt: it was left as it is.
	ErrConcurrentChange = errors.New("object changed during every rewrite attempt; left untouched")
	// ErrFailures is returned (wrapped) when a run finished but some
	// objects failed: the caller exits non-zero.
	ErrFailures = errors.New("objects failed")
	// ErrConflicts is returned (wrapped) when a migration finished but
	// some paths already held other objects, which were left untouched.
	ErrConflicts = errors.New("paths already held other objects")
	// ErrConflict (in Failure.Err of Report.Conflicts) means the store
	// already holds an object at the path with other content, or one that
	// does not authenticate.
	ErrConflict = errors.New("the store holds another object at this path")
	// ErrNotRegular (in Report.Skipped) means a source entry is a symbolic
	// link, a device, a FIFO or a socket: it is not followed or read.
	ErrNotRegular = errors.New("not a regular file")
	// ErrExcluded (in Report.Skipped) means a source file matched an
	// exclude pattern.
	ErrExcluded = errors.New("excluded")
	// ErrSourceChanged means a source file changed while it was read: the
	// object was not committed.
	ErrSourceChanged = errors.New("source file changed while it was read")
	// ErrBadCheckpoint means the checkpoint file is unreadable; remove it
	// or pass Restart.
	ErrBadCheckpoint = errors.New("checkpoint file unreadable")
)

// What happened to one object.
type outcomeKind int

const (
	kindVerified        outcomeKind = iota // verify: authenticated in full
	kindFailed                             // the object failed; err says why
	kindGone                               // deleted since it was listed: nothing to do
	kindRewrapped                          // rotate: rewrapped (or would be, in a dry run)
	kindCurrent                            // rotate: already under the current KEK
	kindNotSelected                        // rotate: under another KEK than --from
	kindMigrated                           // migrate: sealed into the store (or would be, in a dry run)
	kindAlreadyMigrated                    // migrate: the store holds the same plaintext already
	kindConflict                           // migrate: the store holds something else at the path
	kindSkipped                            // migrate: not a regular file, or a name the store cannot key
)

// outcome is the result of one object.
type outcome struct {
	kind    outcomeKind
	bytes   int64 // the object's size in the store
	kek     uint32
	hasKEK  bool // kek was read from the header
	retries int  // rotate: conditional writes lost to a concurrent change
	err     error
}

// Failure names an object that failed and why.
type Failure struct {
	// Key is the object's key (its logical path).
	Key string `json:"key"`
	// Problem is the kind of failure (see Problem), for counts.
	Problem string `json:"problem"`
	// Reason is Err's text (kept in checkpoints, where Err is lost).
	Reason string `json:"reason"`
	// Err is the error, for errors.Is; nil in a report read back from a
	// checkpoint.
	Err error `json:"-"`
}

// KEKCount counts the objects whose data key one KEK wraps.
type KEKCount struct {
	// Objects is the number of objects.
	Objects int64 `json:"objects"`
	// Bytes is their size in the store.
	Bytes int64 `json:"bytes"`
}

// Report sums up a run. A resumed run's report includes what the
// interrupted runs before it did (it is kept in the checkpoint).
type Report struct {
	// Objects counts the objects examined (migrate: the source entries);
	// Bytes their size in the store (migrate: the source files' size).
	Objects int64 `json:"objects"`
	Bytes   int64 `json:"bytes"`
	// Failures lists the objects that failed, in List order.
	Failures []Failure `json:"failures,omitempty"`
	// KEKUsage counts objects per KEK id, from their headers (objects
	// whose header is unreadable are not counted).
	KEKUsage map[uint32]KEKCount `json:"kek_usage,omitempty"`
	// Gone counts objects deleted between the listing and their turn.
	Gone int64 `json:"gone,omitempty"`
	// Rewrapped counts objects rewrapped (or that would be, in a dry
	// run), RewrappedBytes their size: what was read and written again.
	Rewrapped      int64 `json:"rewrapped,omitempty"`
	RewrappedBytes int64 `json:"rewrapped_bytes,omitempty"`
	// Current counts objects already under the current KEK.
	Current int64 `json:"current,omitempty"`
	// NotSelected counts objects under another KEK than the one asked for.
	NotSelected int64 `json:"not_selected,omitempty"`
	// Retries counts conditional writes that lost to a concurrent change
	// and were retried after a fresh read.
	Retries int64 `json:"retries,omitempty"`
	// Migrated counts files sealed into the store (or that would be, in
	// a dry run), MigratedBytes their plaintext size; AlreadyMigrated
	// counts files the store already held with the same plaintext.
	Migrated        int64 `json:"migrated,omitempty"`
	MigratedBytes   int64 `json:"migrated_bytes,omitempty"`
	AlreadyMigrated int64 `json:"already_migrated,omitempty"`
	// Conflicts lists the files whose path already held another object
	// (left untouched); Skipped the entries not migrated (symbolic links,
	// special files, names the store cannot key), in walk order.
	Conflicts []Failure `json:"conflicts,omitempty"`
	Skipped   []Failure `json:"skipped,omitempty"`
	// ResumedAfter is the checkpoint key the run resumed after ("" for a
	// fresh run).
	ResumedAfter string `json:"resumed_after,omitempty"`
}

// fold adds one object's outcome to r.
func (r *Report) fold(key string, out outcome) {
	if out.kind == kindGone {
		r.Gone++
		return
	}
	r.Objects++
	r.Bytes += out.bytes
	r.Retries += int64(out.retries)
	if out.hasKEK {
		if r.KEKUsage == nil {
			r.KEKUsage = map[uint32]KEKCount{}
		}
		c := r.KEKUsage[out.kek]
		c.Objects++
		c.Bytes += out.bytes
		r.KEKUsage[out.kek] = c
	}
	switch out.kind {
	case kindFailed:
		r.Failures = append(r.Failures, Failure{Key: key, Problem: Problem(out.err), Reason: out.err.Error(), Err: out.err})
	case kindRewrapped:
		r.Rewrapped++
		r.RewrappedBytes += out.bytes
	case kindCurrent:
		r.Current++
	case kindNotSelected:
		r.NotSelected++
	case kindMigrated:
		r.Migrated++
		r.MigratedBytes += out.bytes
	case kindAlreadyMigrated:
		r.AlreadyMigrated++
	case kindConflict:
		r.Conflicts = append(r.Conflicts, Failure{Key: key, Problem: "conflict", Reason: out.err.Error(), Err: out.err})
	case kindSkipped:
		r.Skipped = append(r.Skipped, Failure{Key: key, Problem: Problem(out.err), Reason: out.err.Error(), Err: out.err})
	}
}

// clone returns a deep copy of r.
func (r *Report) clone() Report {
	c := *r
	c.Failures = slices.Clone(r.Failures)
	c.KEKUsage = maps.Clone(r.KEKUsage)
	c.Conflicts = slices.Clone(r.Conflicts)
	c.Skipped = slices.Clone(r.Skipped)
	return c
}

// Problem names the kind of an object's failure, for the counts in a
// summary: tampered, truncated, extended, swapped, wrong key, unknown
// KEK, revoked KEK, not a sealfs object, malformed, chunk size, changed
// concurrently, or store error.
func Problem(err error) string {
	for _, p := range []struct {
		err  error
		name string
	}{
		{envelope.ErrChunkTampered, "tampered"},
		{envelope.ErrHeaderTampered, "tampered"},
		{envelope.ErrTruncated, "truncated"},
		{envelope.ErrTrailingData, "extended"},
		{envelope.ErrIdentityMismatch, "swapped (sealed for another path or volume)"},
		{envelope.ErrWrongKey, "wrong key"},
		{keyring.ErrUnknownKEK, "unknown KEK"},
		{keyring.ErrRevokedKEK, "revoked KEK"},
		{envelope.ErrNotSealfs, "not a sealfs object"},
		{ErrChunkSize, "chunk size"},
		{envelope.ErrIntegrity, "malformed"},
		{ErrConcurrentChange, "changed concurrently"},
		{remote.ErrPreconditionFailed, "changed concurrently"},
		{ErrNotRegular, "not a regular file"},
		{ErrExcluded, "excluded"},
		{remote.ErrInvalidKey, "name the store cannot key"},
		{ErrSourceChanged, "source changed while read"},
	} {
		if errors.Is(err, p.err) {
			return p.name
		}
	}
	return "store error"
}
