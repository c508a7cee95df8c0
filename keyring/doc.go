// Package keyring holds sealfs's key-encryption keys (KEKs): 32-byte secrets,
// each named by a uint32 id and in one state (current, decrypt-only or
// revoked). It loads them from files, environment variables and commands,
// refuses anything malformed or too widely readable, audits every load and
// every refused use, and zeroes key material on Close.
//
// The raw key bytes never leave this package: callers derive subkeys with
// KEK.DeriveKey or get an AES block cipher with KEK.Block.
package keyring
