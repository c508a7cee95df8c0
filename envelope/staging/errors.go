package staging

import "errors"

// Errors returned by this package. Test for them with errors.Is. Keyring
// refusals (keyring.ErrUnknownKEK, keyring.ErrRevokedKEK, ...) pass through
// wrapped.
var (
	// ErrNotStaging means the file does not start with the staging magic.
	ErrNotStaging = errors.New("not a sealfs staging file")
	// ErrUnsupportedVersion means the staging file has a version this build cannot read.
	ErrUnsupportedVersion = errors.New("unsupported staging file version")
	// ErrCorrupt means a header or slot failed authentication or is malformed.
	ErrCorrupt = errors.New("staging file is corrupt or was altered")
	// ErrWrongKey means the key check value does not match: the KEK with the
	// file's kek_id is not the one that wrote it.
	ErrWrongKey = errors.New("key check value mismatch (wrong key-encryption key)")
	// ErrTooManyWrites means the file key has sealed its maximum number of
	// slots; re-stage the file under a new key.
	ErrTooManyWrites = errors.New("too many writes under one file key")
)
