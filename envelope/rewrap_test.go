package envelope

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sealfs/sealfs/keyring"
)

func TestRewrap(t *testing.T) {
	id := vectorIdentity()
	plain := pattern(3*MinChunkSize + 5)
	obj := sealObject(t, ringWith(t, nil, kek1Current), id, MinChunkSize, plain, sealHooks{})
	rotated := ringWith(t, nil, kek1Old, kek2Current)

	header := obj[:HeaderSize]
	seen := map[string]bool{string(header[offWrapSalt : offWrapSalt+saltSize]): true}
	for round := range 3 {
		next, err := Rewrap(header, rotated, id)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if len(next) != HeaderSize {
			t.Fatalf("new header is %d bytes", len(next))
		}
		if !bytes.Equal(next[:offKEKID], header[:offKEKID]) || !bytes.Equal(next[offICV:], header[offICV:]) {
			t.Fatal("rewrap changed bytes outside the key slot")
		}
		if salt := string(next[offWrapSalt : offWrapSalt+saltSize]); seen[salt] {
			t.Fatal("rewrap reused a wrap salt")
		} else {
			seen[salt] = true
		}
		if got, err := ReadKEKID(next); got != 2 || err != nil {
			t.Fatalf("ReadKEKID = %d, %v; want 2", got, err)
		}
		header = next
	}

	// The body is unchanged, and KEK 1 is no longer needed (even revoked).
	moved := append(bytes.Clone(header), obj[HeaderSize:]...)
	r, err := openObject(moved, ringWith(t, nil, kek1Revoked, kek2Current), id)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(plain))
	if n, err := r.ReadAt(got, 0); n != len(plain) || err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("ReadAt after rewrap = %d, %v", n, err)
	}
	if r.KEKID() != 2 {
		t.Fatalf("KEKID = %d, want 2", r.KEKID())
	}
	// The old header still opens with KEK 1: rewrapping does not revoke.
	if _, err := openObject(obj, ringWith(t, nil, kek1Old, kek2Current), id); err != nil {
		t.Fatalf("old header no longer opens: %v", err)
	}
}

func TestRewrapFailures(t *testing.T) {
	id := vectorIdentity()
	obj := sealObject(t, ringWith(t, nil, kek1Current), id, MinChunkSize, pattern(10), sealHooks{})
	header := obj[:HeaderSize]
	flipped := func(at int) []byte { b := bytes.Clone(header); b[at] ^= 0x40; return b }
	tests := []struct {
		name      string
		header    []byte
		ring      []keySpec
		id        Identity
		want      error
		wantAudit []keyring.EventKind
	}{
		{"short header", header[:HeaderSize-1], []keySpec{kek1Old, kek2Current}, id, ErrTruncated, nil},
		{"bad magic", flipped(0), []keySpec{kek1Old, kek2Current}, id, ErrNotSealfs, nil},
		{"other identity", header, []keySpec{kek1Old, kek2Current}, Identity{Volume: id.Volume, Path: "other"}, ErrIdentityMismatch,
			[]keyring.EventKind{keyring.UnwrapFailed}},
		{"tampered slot", flipped(offWrappedDEK), []keySpec{kek1Old, kek2Current}, id, ErrHeaderTampered,
			[]keyring.EventKind{keyring.UnwrapFailed}},
		{"wrong key", header, []keySpec{{id: 1, state: keyring.DecryptOnly, first: 0x40}, kek2Current}, id, ErrWrongKey,
			[]keyring.EventKind{keyring.UnwrapFailed}},
		{"old key revoked", header, []keySpec{kek1Revoked, kek2Current}, id, keyring.ErrRevokedKEK,
			[]keyring.EventKind{keyring.RevokedKeyUsed}},
		{"old key unknown", header, []keySpec{kek2Current}, id, keyring.ErrUnknownKEK,
			[]keyring.EventKind{keyring.UnknownKeyUsed}},
		{"no current key", header, []keySpec{kek1Old}, id, keyring.ErrNoCurrentKEK, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			audit := &eventLog{}
			ring := ringWith(t, audit, tt.ring...)
			loaded := audit.count()
			got, err := Rewrap(tt.header, ring, tt.id)
			if got != nil || !errors.Is(err, tt.want) {
				t.Fatalf("Rewrap = %x, %v; want nil, %v", got, err, tt.want)
			}
			if kinds := audit.kindsSince(loaded); len(kinds) != len(tt.wantAudit) || (len(kinds) > 0 && kinds[0] != tt.wantAudit[0]) {
				t.Fatalf("audit events %v, want %v", kinds, tt.wantAudit)
			}
		})
	}
}

func TestReadKEKID(t *testing.T) {
	obj := sealObject(t, ringWith(t, nil, kek2Current), vectorIdentity(), MinChunkSize, nil, sealHooks{})
	if id, err := ReadKEKID(obj); id != 2 || err != nil {
		t.Fatalf("ReadKEKID(whole object) = %d, %v; want 2", id, err)
	}
	bad := bytes.Clone(obj)
	bad[offSuite] = 9
	for _, tt := range []struct {
		name   string
		header []byte
		want   error
	}{
		{"empty", nil, ErrTruncated},
		{"47 bytes", obj[:47], ErrTruncated},
		{"bad suite", bad, ErrUnsupportedSuite},
	} {
		if _, err := ReadKEKID(tt.header); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}
