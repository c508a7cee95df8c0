// Package envelope implements sealfs's encrypted object format, version 1.
//
// An object is a 160-byte header followed by the body: the plaintext split
// into fixed-size chunks (a power of two from 4 KiB to 1 MiB, 64 KiB by
// default), each sealed with AES-256-GCM. Every object version has its own
// random data key (DEK); the header carries it wrapped under a key-encryption
// key (KEK) from a keyring.Keyring, named by a uint32 id. The body key is
// bound to the object's Identity (volume id and logical path), so an object
// copied or moved to another path or volume does not open.
//
// Writer seals a stream in one pass with memory proportional to one chunk.
// Open checks the header, the key slot, the identity and the final chunk
// (which authenticates the length); Reader.ReadAt then decrypts only the
// chunks a range touches, and Reader.Verify authenticates the whole body.
// Rewrap moves an object to the current KEK by rewriting only its key slot.
//
// Every failed check returns an error that satisfies errors.Is(err,
// ErrIntegrity) and one of the specific sentinels below, is reported to the
// keyring's auditor, and never comes with plaintext. The byte layout is
// specified in docs/format.md.
package envelope
