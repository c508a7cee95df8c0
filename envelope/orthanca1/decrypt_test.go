package orthanca1

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/sealfs/sealfs/keyring"
)

func TestDecryptVectors(t *testing.T) {
	ring := newRing(t, nil, standardKeys)
	for _, v := range vectors {
		t.Run(v.file, func(t *testing.T) {
			obj := loadHex(t, v.file)
			id, err := KeyID(obj)
			if err != nil || id != v.keyID {
				t.Fatalf("KeyID = %#x, %v; want %#x", id, err, v.keyID)
			}
			got, err := Decrypt(obj, ring, v.file)
			if err != nil {
				t.Fatalf("Decrypt: %v", err)
			}
			if got == nil || string(got) != v.plaintext {
				t.Fatalf("Decrypt = %q (nil: %v), want %q", got, got == nil, v.plaintext)
			}
			if len(got) != len(obj)-Overhead {
				t.Fatalf("plaintext %d bytes, object %d bytes: overhead is not %d", len(got), len(obj), Overhead)
			}
		})
	}
}

func TestDecryptRejectsMalformed(t *testing.T) {
	ring := newRing(t, nil, standardKeys)
	valid := loadHex(t, "vector_fixed_empty.hex")
	tests := []struct {
		name string
		obj  []byte
		want error
	}{
		{"nil", nil, ErrNotA1},
		{"empty", []byte{}, ErrNotA1},
		{"one byte short", valid[:Overhead-1], ErrNotA1},
		{"version only", []byte("A1"), ErrNotA1},
		{"wrong version", append([]byte("A2"), valid[2:]...), ErrNotA1},
		{"lowercase version", append([]byte("a1"), valid[2:]...), ErrNotA1},
		{"truncated tag", loadHex(t, "vector_fixed.hex")[:Overhead+10], ErrAuthentication},
		{"trailing byte", append(bytes.Clone(valid), 0), ErrAuthentication},
		{"unknown key id", append([]byte{'A', '1', 9, 0, 0, 0}, valid[6:]...), keyring.ErrUnknownKEK},
		{"key id byte order swapped", append([]byte{'A', '1', 0, 0, 0, 1}, valid[6:]...), keyring.ErrUnknownKEK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decrypt(tt.obj, ring, tt.name)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decrypt error = %v, want %v", err, tt.want)
			}
			if got != nil {
				t.Fatalf("Decrypt returned %q with an error", got)
			}
		})
	}
}

func TestKeyIDRejectsMalformed(t *testing.T) {
	for _, obj := range [][]byte{nil, []byte("A1\x01\x00\x00\x00"), bytes.Repeat([]byte{'B'}, Overhead)} {
		if _, err := KeyID(obj); !errors.Is(err, ErrNotA1) {
			t.Errorf("KeyID(%d bytes) error = %v, want ErrNotA1", len(obj), err)
		}
	}
}

func TestDecryptRevokedKey(t *testing.T) {
	ring, err := keyring.New(nil, newKEK(t, 1, keyring.Revoked, "kek1.key"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decrypt(loadHex(t, "blob1.hex"), ring, "blob1")
	if !errors.Is(err, keyring.ErrRevokedKEK) || got != nil {
		t.Fatalf("Decrypt = %q, %v; want nil, ErrRevokedKEK", got, err)
	}
}

func TestDecryptWrongKeyIsAuthenticationError(t *testing.T) {
	// KEK2 under id 1: the format has no key check, so this looks like tampering.
	var audit auditLog
	ring := newRing(t, &audit, map[uint32]string{1: "kek2.key"})
	got, err := Decrypt(loadHex(t, "blob1.hex"), ring, "blob1.dcm.enc")
	if !errors.Is(err, ErrAuthentication) || got != nil {
		t.Fatalf("Decrypt = %q, %v; want nil, ErrAuthentication", got, err)
	}
	var failures []keyring.Event
	for _, e := range audit.events() {
		if e.Kind == keyring.UnwrapFailed {
			failures = append(failures, e)
		}
	}
	if len(failures) != 1 || failures[0].Object != "blob1.dcm.enc" || failures[0].KEKID != 1 || !errors.Is(failures[0].Err, ErrAuthentication) {
		t.Fatalf("unwrap-failed audit events = %+v, want one for blob1.dcm.enc, key id 1", failures)
	}
}

// TestDecryptRejectsEveryBitFlip flips every bit of every vector. Version
// flips must give ErrNotA1; key id flips an unknown key or, when the flipped
// id is loaded (with the very same KEK, the hardest case), an authentication
// error; every other flip an authentication error. Never plaintext.
func TestDecryptRejectsEveryBitFlip(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.file, func(t *testing.T) {
			obj := loadHex(t, v.file)
			plain := newRing(t, nil, standardKeys)
			neighbours := map[uint32]string{v.keyID: v.keyFile}
			for bit := range 32 {
				neighbours[v.keyID^1<<bit] = v.keyFile
			}
			loaded := newRing(t, nil, neighbours)

			for i := range obj {
				for bit := range 8 {
					flipped := bytes.Clone(obj)
					flipped[i] ^= 1 << bit
					for _, rc := range []struct {
						name      string
						ring      *keyring.Keyring
						keyIDWant error
					}{
						{"standard ring", plain, keyring.ErrUnknownKEK},
						{"flipped ids loaded", loaded, ErrAuthentication},
					} {
						want := ErrAuthentication
						switch {
						case i < keyIDOffset:
							want = ErrNotA1
						case i < eivOffset:
							want = rc.keyIDWant
						}
						got, err := Decrypt(flipped, rc.ring, v.file)
						if !errors.Is(err, want) || got != nil {
							t.Fatalf("%s: byte %d bit %d: Decrypt = %q, %v; want nil, %v", rc.name, i, bit, got, err, want)
						}
					}
				}
			}
		})
	}
}

// auditLog records audit events.
type auditLog struct {
	mu       sync.Mutex
	recorded []keyring.Event
}

// Audit records e.
func (a *auditLog) Audit(e keyring.Event) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.recorded = append(a.recorded, e)
}

// events returns a copy of the recorded events.
func (a *auditLog) events() []keyring.Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]keyring.Event(nil), a.recorded...)
}
