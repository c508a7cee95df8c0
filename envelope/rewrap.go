package envelope

import (
	"fmt"

	"github.com/sealfs/sealfs/keyring"
)

// ReadKEKID returns the id of the KEK that wraps an object's data key, from
// the object's first HeaderSize bytes (longer input is fine; only the header
// is read). It validates the header's key-independent fields but unwraps
// nothing, so it needs no key.
func ReadKEKID(header []byte) (uint32, error) {
	h, err := parseHeader(header)
	if err != nil {
		return 0, fmt.Errorf("envelope: %w", err)
	}
	return h.kekID(), nil
}

// Rewrap returns a new header for the object whose first HeaderSize bytes
// are header, with its data key rewrapped under ring.Current() and a fresh
// wrap salt. It first unwraps the key slot with the KEK the header names
// (via ring.ForDecrypt) and checks the identity check value against id.
// Only the key slot (bytes 44..143) differs from the old header; the body is
// unchanged, so a store can replace just the header.
func Rewrap(header []byte, ring *keyring.Keyring, id Identity) ([]byte, error) {
	return rewrap(header, ring, id, sealHooks{})
}

// rewrap is Rewrap with test seams.
func rewrap(header []byte, ring *keyring.Keyring, id Identity, hooks sealHooks) ([]byte, error) {
	h, err := parseHeader(header)
	if err != nil {
		return nil, fmt.Errorf("envelope: rewrapping %s: %w", id, err)
	}
	dek, kBody, err := unlockKeySlot(h, ring, id)
	if err != nil {
		return nil, err
	}
	defer clear(dek)
	clear(kBody)
	kek, err := ring.Current()
	if err != nil {
		return nil, fmt.Errorf("envelope: rewrapping %s: %w", id, err)
	}
	if err := sealKeySlot(h, kek, dek, hooks); err != nil {
		return nil, fmt.Errorf("envelope: rewrapping %s: %w", id, err)
	}
	return h[:], nil
}
