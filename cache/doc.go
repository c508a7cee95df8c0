// Package cache keeps sealfs's local metadata cache: file attributes,
// negative lookups and directory listings, each with a short TTL, in a
// Badger store under STATE_DIR/meta.
//
// The Badger store is encrypted at rest with Badger's own encryption under a
// random 32-byte state key. The state key lives next to it in
// STATE_DIR/meta/statekey, wrapped by the current key-encryption key exactly
// like a data key (HKDF-SHA256 subkey, key check value, AES-256-GCM) but
// under its own label. When the keyring's current KEK changes, opening the
// cache rewraps the state key under the new KEK; the Badger files are not
// re-encrypted.
//
// Badger's encryption is unauthenticated AES-CTR. Nothing read from the
// cache counts as verified: a value that fails to decode is a miss, and the
// filesystem still verifies every object it opens against the store. The
// store is the source of truth; the cache can be deleted at any time and is
// rebuilt from listings.
package cache
