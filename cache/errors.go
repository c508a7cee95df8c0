package cache

import "errors"

// Errors returned when opening the cache. Test for them with errors.Is.
// Failures to use a KEK wrap the keyring's errors (keyring.ErrUnknownKEK,
// keyring.ErrRevokedKEK).
var (
	// ErrMalformedStateKey means the state key file is not a sealfs state key.
	ErrMalformedStateKey = errors.New("malformed state key file")
	// ErrWrongKey means the state key's key check value does not match: the
	// KEK with that id is not the one that wrapped it.
	ErrWrongKey = errors.New("state key check value mismatch: wrong key-encryption key")
	// ErrTampered means the wrapped state key failed authentication: the file
	// was damaged or tampered with.
	ErrTampered = errors.New("state key failed authentication: damaged or tampered with")
)
