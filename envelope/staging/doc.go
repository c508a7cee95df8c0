// Package staging keeps a file that an application writes at random offsets
// (SQLite, editors) in a local staging file, sealed so that it never holds
// plaintext, until sealfs uploads it as a fresh object version. A staging
// file is recoverable after a crash from the keyring and the file alone: it
// carries its own key slot, its volume id and its logical path.
//
// # Staging file format, version 1
//
// All integers are big-endian. The header:
//
//	offset   size  field
//	0        12    magic "sealfs-stage"
//	12       1     version, 1
//	13       1     log2 of the chunk size C, 12..20 (4 KiB..1 MiB)
//	14       2     reserved, 0
//	16       4     kek_id: id of the KEK that wraps the file key
//	20       32    wrap salt, fresh random bytes per file
//	52       16    KCV, key check value
//	68       16    volume id
//	84       2     path length P, 1..4096
//	86       P     logical path
//	86+P     48    wrapped file key
//
// (K_wrap ‖ KCV) = HKDF-SHA256(KEK, salt = wrap salt,
// info = "sealfs/v1/stage-wrap" ‖ kek_id), 48 bytes: K_wrap is the first 32,
// KCV the last 16. The file key is 32 random bytes, sealed with AES-256-GCM
// under K_wrap with an all-zero nonce (each K_wrap seals exactly once) and
// with every header byte before the wrapped key as additional data, so the
// path and the volume id are authenticated. A KCV mismatch means the KEK
// with that id is not the one that wrote the file (ErrWrongKey); a GCM
// failure means the header was altered (ErrCorrupt). The bytes between the
// header and the data area must be zero.
//
// The data area starts at the header length rounded up to a multiple of
// 4096. Slot i holds plaintext bytes [i·C, (i+1)·C) and starts at
// dataStart + i·(C+32):
//
//	size   field
//	4      plaintext length L, 0..C; 0 means never written
//	12     nonce, fresh from crypto/rand at every write of the slot
//	L+16   AES-256-GCM(file key, nonce, plaintext,
//	       additional data = uint64(i) ‖ uint32(L))
//
// A slot with L = 0 is a hole: all of its bytes are zero and it reads as
// zeros. Inside a slot, bytes from L to C read as zeros too. The logical
// file size is i·C + L of the last slot with L > 0 (0 if there is none), so
// the last slot is always written explicitly: extending a file writes its
// new last slot (zero-filled), and shrinking rewrites the new last slot
// shorter and cuts the OS file right after it.
//
// # Nonce bound
//
// Every write of a slot seals it again under the same file key with a fresh
// random 96-bit nonce. Random nonces keep the chance of a repeat below 2^-32
// for up to 2^32 seals under one key; a File allows 2^30 seals and then
// fails with ErrTooManyWrites, and the caller re-stages the file under a new
// key. The count lives in memory only: a file reopened by Open starts a new
// count, so recovery should upload (or re-stage) the file rather than keep
// writing to it indefinitely.
//
// # What it does not protect
//
// Someone who can write the staging file can roll a slot back to an older
// sealed version of the same slot, zero a whole slot to a hole, or cut the
// file after any slot (the size is not sealed on its own); the
// staging area should therefore live on the same protected local disk as
// the cache (LUKS, owner-only permissions). A power loss during a slot write
// can tear that slot, which then fails to read (ErrCorrupt) rather than
// returning wrong bytes.
package staging
