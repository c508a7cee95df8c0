package envelope

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"testing"

	"github.com/sealfs/sealfs/keyring"
)

// The identity and keys of the known-answer vectors, also used by most tests.
const vectorPath = "ab/cd/abcdef01-2345-6789"

// vectorVolume is the volume id 0xA0..0xAF.
func vectorVolume() [16]byte {
	var v [16]byte
	for i := range v {
		v[i] = 0xA0 + byte(i)
	}
	return v
}

// vectorIdentity is the identity of the known-answer vectors.
func vectorIdentity() Identity { return Identity{Volume: vectorVolume(), Path: vectorPath} }

// kekBytes returns 32 key bytes first, first+1, ..., first+31.
func kekBytes(first byte) []byte {
	k := make([]byte, keyring.KeySize)
	for i := range k {
		k[i] = first + byte(i)
	}
	return k
}

// keySpec describes one KEK of a test keyring.
type keySpec struct {
	id    uint32
	state keyring.State
	first byte // key bytes are first..first+31
}

// Standard test keys: KEK 1 = 00..1f, KEK 2 = 20..3f.
var (
	kek1Current = keySpec{id: 1, state: keyring.Current, first: 0x00}
	kek1Old     = keySpec{id: 1, state: keyring.DecryptOnly, first: 0x00}
	kek1Revoked = keySpec{id: 1, state: keyring.Revoked, first: 0x00}
	kek2Current = keySpec{id: 2, state: keyring.Current, first: 0x20}
	kek2Old     = keySpec{id: 2, state: keyring.DecryptOnly, first: 0x20}
)

// ringWith builds a keyring from specs, closed when the test ends.
func ringWith(tb testing.TB, audit keyring.Auditor, specs ...keySpec) *keyring.Keyring {
	tb.Helper()
	keks := make([]*keyring.KEK, 0, len(specs))
	for _, s := range specs {
		k, err := keyring.NewKEK(s.id, s.state, kekBytes(s.first), "test")
		if err != nil {
			tb.Fatal(err)
		}
		keks = append(keks, k)
	}
	ring, err := keyring.New(audit, keks...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = ring.Close() })
	return ring
}

// sealObject seals plaintext in one Write and returns the object.
func sealObject(tb testing.TB, ring *keyring.Keyring, id Identity, chunkSize int, plaintext []byte, hooks sealHooks) []byte {
	tb.Helper()
	var out bytes.Buffer
	w, err := NewWriter(&out, ring, id, WriterOptions{ChunkSize: chunkSize, hooks: hooks})
	if err != nil {
		tb.Fatal(err)
	}
	if n, err := w.Write(plaintext); err != nil || n != len(plaintext) {
		tb.Fatalf("Write = %d, %v; want %d, nil", n, err, len(plaintext))
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

// openObject opens obj held in memory.
func openObject(obj []byte, ring *keyring.Keyring, id Identity) (*Reader, error) {
	return Open(bytes.NewReader(obj), int64(len(obj)), ring, id)
}

// pattern returns n bytes with byte i = i mod 251 (the vectors' pattern).
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

// counterStream is the deterministic "randomness" of tests and vectors:
// block i is SHA-256(seed ‖ uint64 big-endian i), for i = 0, 1, 2, ...
type counterStream struct {
	seed    string
	counter uint64
	pending []byte
}

// newCounterStream starts the stream for seed at block 0.
func newCounterStream(seed string) *counterStream { return &counterStream{seed: seed} }

// Read fills p from the stream; it never fails.
func (s *counterStream) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(s.pending) == 0 {
			block := sha256.Sum256(binary.BigEndian.AppendUint64([]byte(s.seed), s.counter))
			s.counter++
			s.pending = block[:]
		}
		k := copy(p[n:], s.pending)
		s.pending = s.pending[k:]
		n += k
	}
	return n, nil
}

// eventLog records audit events.
type eventLog struct {
	mu     sync.Mutex
	events []keyring.Event
}

// Audit records e.
func (l *eventLog) Audit(e keyring.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

// kindsSince returns the kinds of events recorded from index start on.
func (l *eventLog) kindsSince(start int) []keyring.EventKind {
	l.mu.Lock()
	defer l.mu.Unlock()
	var kinds []keyring.EventKind
	for _, e := range l.events[start:] {
		kinds = append(kinds, e.Kind)
	}
	return kinds
}

// count returns the number of events recorded.
func (l *eventLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.events)
}
