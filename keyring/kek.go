package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"sync"
)

// KeySize is the length of a KEK in bytes.
const KeySize = 32

// State is what a KEK may be used for.
type State int

const (
	// Current is the one KEK that wraps new data keys. It also decrypts.
	Current State = iota + 1
	// DecryptOnly is a previous KEK: it unwraps existing objects only.
	DecryptOnly
	// Revoked is a KEK that must no longer be used; every attempt is refused and audited.
	Revoked
)

// String returns the state's name as used in configs and audit lines.
func (s State) String() string {
	switch s {
	case Current:
		return "current"
	case DecryptOnly:
		return "decrypt-only"
	case Revoked:
		return "revoked"
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// ParseState reads a state name: "current", "decrypt-only" (or "previous") or "revoked".
func ParseState(s string) (State, error) {
	switch s {
	case "current":
		return Current, nil
	case "decrypt-only", "previous":
		return DecryptOnly, nil
	case "revoked":
		return Revoked, nil
	}
	return 0, fmt.Errorf("keyring: unknown key state %q (want current, decrypt-only or revoked)", s)
}

// KEK is one key-encryption key. Its bytes stay inside this package; use
// DeriveKey or Block. A KEK is safe for concurrent use.
type KEK struct {
	id     uint32
	state  State
	source string // where it came from, for audit lines: a path, "env:NAME" or "cmd:NAME"; never key bytes

	mu     sync.RWMutex
	key    [KeySize]byte
	zeroed bool
}

// NewKEK makes a KEK from 32 raw key bytes (copied). source names where the
// key came from in audit lines and errors; it must not contain secrets.
func NewKEK(id uint32, state State, key []byte, source string) (*KEK, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("keyring: key %d from %s: %w: %d bytes, want %d", id, source, ErrMalformedKey, len(key), KeySize)
	}
	if state < Current || state > Revoked {
		return nil, fmt.Errorf("keyring: key %d from %s: invalid state %d", id, source, int(state))
	}
	k := &KEK{id: id, state: state, source: source}
	copy(k.key[:], key)
	return k, nil
}

// ID returns the KEK's id.
func (k *KEK) ID() uint32 { return k.id }

// State returns what the KEK may be used for.
func (k *KEK) State() State { return k.state }

// Source returns where the key was loaded from (a path, "env:NAME" or "cmd:NAME").
func (k *KEK) Source() string { return k.source }

// DeriveKey returns n bytes of HKDF-SHA256 output keyed by the KEK with the
// given salt and info. The caller owns (and should zero) the result.
func (k *KEK) DeriveKey(salt, info []byte, n int) ([]byte, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.zeroed {
		return nil, ErrClosed
	}
	return hkdf.Key(sha256.New, k.key[:], salt, string(info), n)
}

// Block returns AES-256 keyed by the KEK itself. Only the Orthanc "A1"
// reader needs this; sealfs's own format derives subkeys with DeriveKey.
func (k *KEK) Block() (cipher.Block, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.zeroed {
		return nil, ErrClosed
	}
	return aes.NewCipher(k.key[:])
}

// zero overwrites the key bytes; the KEK is unusable afterwards.
func (k *KEK) zero() {
	k.mu.Lock()
	defer k.mu.Unlock()
	clear(k.key[:])
	k.zeroed = true
}
