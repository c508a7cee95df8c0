package envelope

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/sealfs/sealfs/keyring"
)

// Where a damaged object must first fail.
const (
	failsAtOpen   = "open"   // Open refuses it
	failsAtVerify = "verify" // Open accepts it (the final chunk is intact); Verify and a full ReadAt refuse it
)

// chunkSpan returns the start and end of chunk i of obj (chunk size c).
func chunkSpan(obj []byte, c, i int) (int, int) {
	start := HeaderSize + i*(c+tagSize)
	return start, min(start+c+tagSize, len(obj))
}

// mutated returns a modified copy of obj.
func mutated(obj []byte, f func(b []byte) []byte) []byte { return f(bytes.Clone(obj)) }

func TestIntegrityFailures(t *testing.T) {
	const c = MinChunkSize
	id := vectorIdentity()
	writeRing := ringWith(t, nil, kek1Current)
	full := sealObject(t, writeRing, id, c, pattern(3*c), sealHooks{})          // 3 full chunks
	partial := sealObject(t, writeRing, id, c, pattern(2*c+100), sealHooks{})   // last chunk holds 100 bytes
	other := sealObject(t, writeRing, id, c, pattern(3*c), sealHooks{})         // same size and identity, other DEK
	single := sealObject(t, writeRing, id, c, []byte("one chunk"), sealHooks{}) // 1 chunk
	otherPath := Identity{Volume: id.Volume, Path: id.Path + "x"}
	otherVolume := Identity{Volume: [16]byte{1}, Path: id.Path}

	flip := func(obj []byte, at int) []byte {
		return mutated(obj, func(b []byte) []byte { b[at] ^= 0x01; return b })
	}
	set := func(obj []byte, at int, v byte) []byte {
		return mutated(obj, func(b []byte) []byte { b[at] = v; return b })
	}
	setHeaderLen := func(n uint16) []byte {
		return mutated(full, func(b []byte) []byte { binary.BigEndian.PutUint16(b[offHeaderLen:], n); return b })
	}
	cut := func(obj []byte, n int) []byte { return bytes.Clone(obj[:len(obj)-n]) }
	appendBytes := func(obj, extra []byte) []byte { return append(bytes.Clone(obj), extra...) }
	swapChunks := func(obj []byte, i, j int) []byte {
		return mutated(obj, func(b []byte) []byte {
			si, ei := chunkSpan(obj, c, i)
			sj, ej := chunkSpan(obj, c, j)
			if ei-si != ej-sj {
				t.Fatal("swapChunks needs equal-size chunks")
			}
			tmp := bytes.Clone(b[si:ei])
			copy(b[si:ei], b[sj:ej])
			copy(b[sj:ej], tmp)
			return b
		})
	}
	s0, e0 := chunkSpan(full, c, 0)
	s1, e1 := chunkSpan(full, c, 1)
	s2, _ := chunkSpan(full, c, 2)
	_, eLast := chunkSpan(full, c, 2)

	tests := []struct {
		name      string
		obj       []byte
		size      int64 // object size passed to Open; 0 means len(obj)
		ring      []keySpec
		id        *Identity
		want      error
		at        string
		wantAudit []keyring.EventKind
	}{
		{name: "zero-byte object", obj: nil, want: ErrTruncated, at: failsAtOpen},
		{name: "header-only object", obj: full[:HeaderSize], want: ErrTruncated, at: failsAtOpen},
		{name: "header and 15 bytes", obj: full[:HeaderSize+15], want: ErrTruncated, at: failsAtOpen},
		{name: "bad magic", obj: set(full, 0, 'S'), want: ErrNotSealfs, at: failsAtOpen},
		{name: "version 2", obj: set(full, offVersion, 2), want: ErrUnsupportedVersion, at: failsAtOpen},
		{name: "version 0", obj: set(full, offVersion, 0), want: ErrUnsupportedVersion, at: failsAtOpen},
		{name: "suite 2", obj: set(full, offSuite, 2), want: ErrUnsupportedSuite, at: failsAtOpen},
		{name: "reserved byte set", obj: set(full, offReserved, 0x80), want: ErrOutOfRange, at: failsAtOpen},
		{name: "header length 4097", obj: setHeaderLen(4097), want: ErrOutOfRange, at: failsAtOpen},
		{name: "header length 161", obj: setHeaderLen(161), want: ErrOutOfRange, at: failsAtOpen},
		{name: "header length 0", obj: setHeaderLen(0), want: ErrOutOfRange, at: failsAtOpen},
		{name: "chunk log 11", obj: set(full, offChunkLog, 11), want: ErrOutOfRange, at: failsAtOpen},
		{name: "chunk log 21", obj: set(full, offChunkLog, 21), want: ErrOutOfRange, at: failsAtOpen},
		{name: "more than 2^32 chunks", obj: full, size: HeaderSize + (1<<32+1)*(c+tagSize), want: ErrOutOfRange, at: failsAtOpen},
		{name: "size one byte past 2^32 full chunks", obj: full, size: HeaderSize + (1<<32)*(c+tagSize) + 1, want: ErrOutOfRange, at: failsAtOpen},
		{name: "cut leaving a 10-byte final chunk", obj: cut(partial, 100+tagSize-10), want: ErrInvalidLength, at: failsAtOpen},
		{name: "5 bytes appended after a full chunk", obj: appendBytes(full, []byte("12345")), want: ErrInvalidLength, at: failsAtOpen},
		{name: "16 bytes appended after a full chunk", obj: appendBytes(full, make([]byte, 16)), want: ErrInvalidLength, at: failsAtOpen},
		{name: "source shorter than its stated size", obj: full, size: int64(len(full)) + c + tagSize, want: ErrTruncated, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.IntegrityFailed}},

		{name: "unknown kek id", obj: full, ring: []keySpec{kek2Current}, want: keyring.ErrUnknownKEK, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.UnknownKeyUsed}},
		{name: "revoked kek", obj: full, ring: []keySpec{kek1Revoked, kek2Current}, want: keyring.ErrRevokedKEK, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.RevokedKeyUsed}},
		{name: "wrong key with the same id", obj: full, ring: []keySpec{{id: 1, state: keyring.Current, first: 0x20}}, want: ErrWrongKey, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.UnwrapFailed}},
		{name: "kek id changed to another loaded key", obj: set(full, offKEKID+3, 2), ring: []keySpec{kek1Current, kek2Old}, want: ErrWrongKey, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.UnwrapFailed}},
		{name: "wrap salt flipped", obj: flip(full, offWrapSalt+7), want: ErrWrongKey, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.UnwrapFailed}},
		{name: "key check value flipped", obj: flip(full, offKCV), want: ErrWrongKey, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.UnwrapFailed}},
		{name: "wrapped DEK flipped", obj: flip(full, offWrappedDEK+3), want: ErrHeaderTampered, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.UnwrapFailed}},
		{name: "wrap tag flipped", obj: flip(full, offICV-1), want: ErrHeaderTampered, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.UnwrapFailed}},
		{name: "body salt flipped", obj: flip(full, offBodySalt+31), want: ErrHeaderTampered, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.UnwrapFailed}},
		{name: "chunk size changed to another valid size", obj: set(single, offChunkLog, 13), want: ErrHeaderTampered, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.UnwrapFailed}},
		{name: "identity check value flipped", obj: flip(full, offICV+15), want: ErrIdentityMismatch, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.UnwrapFailed}},
		{name: "object from another path", obj: full, id: &otherPath, want: ErrIdentityMismatch, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.UnwrapFailed}},
		{name: "object from another volume", obj: full, id: &otherVolume, want: ErrIdentityMismatch, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.UnwrapFailed}},

		{name: "cut at a chunk boundary (full chunks)", obj: cut(full, c+tagSize), want: ErrTruncated, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.IntegrityFailed}},
		{name: "cut at a chunk boundary (partial last chunk)", obj: cut(partial, 100+tagSize), want: ErrTruncated, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.IntegrityFailed}},
		{name: "cut to the first chunk", obj: full[:e0], want: ErrTruncated, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.IntegrityFailed}},
		{name: "cut inside the final chunk", obj: cut(full, 100), want: ErrChunkTampered, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.IntegrityFailed}},
		{name: "whole chunk appended", obj: appendBytes(full, full[s0:e0]), want: ErrTrailingData, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.IntegrityFailed}},
		{name: "40 bytes appended after a full chunk", obj: appendBytes(full, pattern(40)), want: ErrTrailingData, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.IntegrityFailed}},
		{name: "40 bytes appended after a partial chunk", obj: appendBytes(partial, pattern(40)), want: ErrChunkTampered, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.IntegrityFailed}},
		{name: "final chunk flipped", obj: flip(full, s2+5), want: ErrChunkTampered, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.IntegrityFailed}},
		{name: "final tag flipped", obj: flip(full, eLast-1), want: ErrChunkTampered, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.IntegrityFailed}},
		{name: "final chunk swapped with the one before", obj: swapChunks(full, 1, 2), want: ErrChunkTampered, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.IntegrityFailed}},
		{name: "only chunk flipped", obj: flip(single, HeaderSize), want: ErrChunkTampered, at: failsAtOpen,
			wantAudit: []keyring.EventKind{keyring.IntegrityFailed}},

		{name: "first two chunks swapped", obj: swapChunks(full, 0, 1), want: ErrChunkTampered, at: failsAtVerify,
			wantAudit: []keyring.EventKind{keyring.IntegrityFailed}},
		{name: "middle chunk flipped", obj: flip(full, s1+100), want: ErrChunkTampered, at: failsAtVerify,
			wantAudit: []keyring.EventKind{keyring.IntegrityFailed}},
		{name: "middle tag flipped", obj: flip(full, e1-1), want: ErrChunkTampered, at: failsAtVerify,
			wantAudit: []keyring.EventKind{keyring.IntegrityFailed}},
		{name: "first chunk from another object", obj: mutated(full, func(b []byte) []byte { copy(b[s0:e0], other[s0:e0]); return b }),
			want: ErrChunkTampered, at: failsAtVerify, wantAudit: []keyring.EventKind{keyring.IntegrityFailed}},
		{name: "first chunk copied over the second", obj: mutated(full, func(b []byte) []byte { copy(b[s1:e1], full[s0:e0]); return b }),
			want: ErrChunkTampered, at: failsAtVerify, wantAudit: []keyring.EventKind{keyring.IntegrityFailed}},
	}
	secrets := [][]byte{kekBytes(0x00), kekBytes(0x20)}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			specs := tt.ring
			if specs == nil {
				specs = []keySpec{kek1Current}
			}
			audit := &eventLog{}
			ring := ringWith(t, audit, specs...)
			loaded := audit.count()
			id := vectorIdentity()
			if tt.id != nil {
				id = *tt.id
			}
			size := tt.size
			if size == 0 {
				size = int64(len(tt.obj))
			}
			r, err := Open(bytes.NewReader(tt.obj), size, ring, id)
			if tt.at == failsAtOpen {
				if r != nil || !errors.Is(err, tt.want) {
					t.Fatalf("Open = %v, %v; want nil, %v", r, err, tt.want)
				}
			} else {
				if err != nil {
					t.Fatalf("Open: %v; want success (the final chunk is intact)", err)
				}
				if err := r.Verify(); !errors.Is(err, tt.want) {
					t.Fatalf("Verify: %v, want %v", err, tt.want)
				}
				buf := make([]byte, r.Size())
				n, rerr := r.ReadAt(buf, 0)
				if n != 0 || !errors.Is(rerr, tt.want) {
					t.Fatalf("ReadAt = %d, %v; want 0, %v", n, rerr, tt.want)
				}
				if !bytes.Equal(buf, make([]byte, len(buf))) {
					t.Fatal("failed ReadAt left plaintext in p")
				}
				err = rerr
			}
			if isKeyringError := errors.Is(err, keyring.ErrUnknownKEK) || errors.Is(err, keyring.ErrRevokedKEK); !isKeyringError && !errors.Is(err, ErrIntegrity) {
				t.Errorf("%v does not satisfy errors.Is(err, ErrIntegrity)", err)
			}
			for _, s := range secrets {
				if msg := err.Error(); strings.Contains(msg, string(s)) || strings.Contains(msg, hex.EncodeToString(s)) {
					t.Errorf("error message holds key bytes: %q", msg)
				}
			}
			got := audit.kindsSince(loaded)
			want := tt.wantAudit
			if tt.at == failsAtVerify {
				want = []keyring.EventKind{keyring.IntegrityFailed, keyring.IntegrityFailed} // Verify, ReadAt
			}
			if len(want) == 0 && errors.Is(err, ErrIntegrity) {
				want = []keyring.EventKind{keyring.IntegrityFailed} // refused before the key slot
			}
			if !slices.Equal(got, want) {
				t.Errorf("audit events %v, want %v", got, want)
			}
		})
	}
}

// TestEverySentinelIsIntegrity checks the parent relation for all sentinels.
func TestEverySentinelIsIntegrity(t *testing.T) {
	all := []error{ErrNotSealfs, ErrUnsupportedVersion, ErrUnsupportedSuite, ErrOutOfRange, ErrInvalidLength,
		ErrTruncated, ErrTrailingData, ErrWrongKey, ErrHeaderTampered, ErrIdentityMismatch, ErrChunkTampered}
	for i, e := range all {
		if !errors.Is(e, ErrIntegrity) {
			t.Errorf("%v is not ErrIntegrity", e)
		}
		for j, other := range all {
			if i != j && errors.Is(e, other) {
				t.Errorf("%v matches %v", e, other)
			}
		}
	}
	for _, unrelated := range []error{io.EOF, keyring.ErrUnknownKEK, keyring.ErrRevokedKEK} {
		if errors.Is(unrelated, ErrIntegrity) {
			t.Errorf("%v matches ErrIntegrity", unrelated)
		}
	}
}
