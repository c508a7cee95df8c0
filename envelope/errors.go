package envelope

import "errors"

// ErrIntegrity is the parent of every error below: an object that is not a
// well-formed, authentic sealfs object for the given identity and keys.
// Every one of them also satisfies errors.Is(err, ErrIntegrity), so a caller
// can map the whole class to one answer (EIO).
var ErrIntegrity = errors.New("envelope: object failed a format or integrity check")

// Errors reported for objects that fail a check. Test for them with errors.Is.
var (
	// ErrNotSealfs means the object does not start with the sealfs magic.
	ErrNotSealfs error = &integrityError{"not a sealfs object (bad magic)"}
	// ErrUnsupportedVersion means the format version is not 1.
	ErrUnsupportedVersion error = &integrityError{"unsupported format version"}
	// ErrUnsupportedSuite means the cipher suite is unknown.
	ErrUnsupportedSuite error = &integrityError{"unsupported cipher suite"}
	// ErrOutOfRange means a header field or a derived count is outside its
	// allowed range (reserved byte, header length, chunk size, chunk count).
	ErrOutOfRange error = &integrityError{"header field or chunk count out of range"}
	// ErrInvalidLength means the object size maps to no valid plaintext size.
	ErrInvalidLength error = &integrityError{"object size maps to no valid plaintext size"}
	// ErrTruncated means the object is shorter than a complete object: a
	// zero-byte or header-only object, or a body cut at a chunk boundary.
	ErrTruncated error = &integrityError{"object is truncated"}
	// ErrTrailingData means whole chunks were appended after the final chunk.
	ErrTrailingData error = &integrityError{"object has data after its final chunk"}
	// ErrWrongKey means the key check value does not match: the KEK with
	// this id is not the one that wrapped the object (or the slot is damaged).
	ErrWrongKey error = &integrityError{"key check value mismatch: wrong key-encryption key"}
	// ErrHeaderTampered means the key check value matched but the wrapped
	// data key did not authenticate: the header was modified.
	ErrHeaderTampered error = &integrityError{"header authentication failed"}
	// ErrIdentityMismatch means the object was sealed for another path or
	// volume (moved, copied or swapped in the store).
	ErrIdentityMismatch error = &integrityError{"object belongs to another path or volume"}
	// ErrChunkTampered means a body chunk failed authentication (modified,
	// reordered or cut inside a chunk).
	ErrChunkTampered error = &integrityError{"chunk authentication failed"}
)

// integrityError is a sentinel that also matches ErrIntegrity.
type integrityError struct{ text string }

// Error returns the sentinel's text.
func (e *integrityError) Error() string { return e.text }

// Is reports whether target is ErrIntegrity, the parent of every sentinel.
func (e *integrityError) Is(target error) bool { return target == ErrIntegrity }
