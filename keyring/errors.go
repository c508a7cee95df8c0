package keyring

import "errors"

// Errors returned by the keyring. Test for them with errors.Is.
var (
	// ErrUnknownKEK means no loaded KEK has the requested id.
	ErrUnknownKEK = errors.New("unknown key-encryption key id")
	// ErrRevokedKEK means the requested KEK is revoked.
	ErrRevokedKEK = errors.New("key-encryption key is revoked")
	// ErrNoCurrentKEK means the keyring has no current KEK to encrypt with.
	ErrNoCurrentKEK = errors.New("no current key-encryption key")
	// ErrMalformedKey means key material does not decode to exactly 32 bytes.
	ErrMalformedKey = errors.New("malformed key: want padded standard base64 of exactly 32 bytes")
	// ErrInsecurePermissions means a key file is readable or writable by group or others, or owned by another user.
	ErrInsecurePermissions = errors.New("key file permissions are too open")
	// ErrDuplicateID means two keys share an id.
	ErrDuplicateID = errors.New("duplicate key id")
	// ErrTwoCurrent means more than one key was marked current.
	ErrTwoCurrent = errors.New("more than one current key")
	// ErrClosed means the keyring (or KEK) was closed and its keys zeroed.
	ErrClosed = errors.New("keyring is closed")
)
