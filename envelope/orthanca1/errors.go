package orthanca1

import "errors"

// Errors returned by this package. Test for them with errors.Is. Unknown and
// revoked key ids are reported with the keyring's own errors
// (keyring.ErrUnknownKEK, keyring.ErrRevokedKEK), wrapped.
var (
	// ErrNotA1 means the bytes are shorter than Overhead or do not start with "A1".
	ErrNotA1 = errors.New("not an Orthanc A1 encrypted object")
	// ErrAuthentication means GCM authentication failed: the object was
	// altered or the KEK with its key id is not the one that wrote it. The
	// format cannot tell these apart.
	ErrAuthentication = errors.New("authentication failed (object altered or wrong key)")
)
