package cache

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealfs/sealfs/keyring"
)

// readStateKeyFile parses dir's state key file.
func readStateKeyFile(t *testing.T, dir string) stateKeyFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, stateKeyName))
	if err != nil {
		t.Fatal(err)
	}
	f, err := parseStateKeyFile(b)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestStateKeyFormat unwraps a freshly written state key file with an
// independent implementation of the documented format.
func TestStateKeyFormat(t *testing.T) {
	dir := t.TempDir()
	m := openTestMeta(t, dir, ringA(t))
	path := filepath.Join(dir, stateKeyName)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 16+1+4+32+16+48 {
		t.Fatalf("file is %d bytes", len(b))
	}
	if string(b[:16]) != "sealfs-statekey\x00" || b[16] != 1 || binary.BigEndian.Uint32(b[17:]) != 1 {
		t.Fatalf("bad header % x", b[:21])
	}
	salt, kcv, wrapped := b[21:53], b[53:69], b[69:]
	okm, err := hkdf.Key(sha256.New, kekBytes(0xA1), salt, "sealfs/v1/state-wrap\x00\x00\x00\x01", 48)
	if err != nil {
		t.Fatal(err)
	}
	if string(okm[32:]) != string(kcv) {
		t.Fatal("key check value does not match the documented derivation")
	}
	block, err := aes.NewCipher(okm[:32])
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	key, err := aead.Open(nil, make([]byte, 12), wrapped, []byte("sealfs-statekey-v1\x00\x00\x00\x01"))
	if err != nil {
		t.Fatalf("unwrapping with the documented parameters: %v", err)
	}
	if string(key) != string(m.badgerKey) {
		t.Fatal("unwrapped key is not the key Badger was opened with")
	}
}

func TestStateKeyOpenErrors(t *testing.T) {
	corrupt := func(off int) func([]byte) []byte {
		return func(b []byte) []byte { b[off] ^= 0x01; return b }
	}
	tests := []struct {
		name      string
		ring      func(t *testing.T, audit keyring.Auditor) *keyring.Keyring
		edit      func([]byte) []byte
		want      error
		mention   []string
		auditKind keyring.EventKind
	}{
		{
			name: "wrong KEK bytes under the same id",
			ring: func(t *testing.T, a keyring.Auditor) *keyring.Keyring {
				return newRing(t, a, kekSpec{id: 1, state: keyring.Current, seed: 0x55})
			},
			want: ErrWrongKey, auditKind: keyring.UnwrapFailed,
		},
		{name: "tampered wrapped key", edit: corrupt(offWrapped + 3), want: ErrTampered, auditKind: keyring.UnwrapFailed},
		{name: "tampered tag", edit: corrupt(stateKeyFileSize - 1), want: ErrTampered, auditKind: keyring.UnwrapFailed},
		{name: "tampered salt", edit: corrupt(offSalt), want: ErrWrongKey, auditKind: keyring.UnwrapFailed},
		{name: "tampered check value", edit: corrupt(offKCV + 15), want: ErrWrongKey, auditKind: keyring.UnwrapFailed},
		{
			name: "unknown KEK id",
			ring: func(t *testing.T, a keyring.Auditor) *keyring.Keyring {
				return newRing(t, a, kekSpec{id: 2, state: keyring.Current, seed: 0xB2})
			},
			want: keyring.ErrUnknownKEK, mention: []string{"KEK 1", "delete"}, auditKind: keyring.UnknownKeyUsed,
		},
		{
			name: "revoked KEK",
			ring: func(t *testing.T, a keyring.Auditor) *keyring.Keyring {
				return newRing(t, a, kekSpec{id: 1, state: keyring.Revoked, seed: 0xA1}, kekSpec{id: 2, state: keyring.Current, seed: 0xB2})
			},
			want: keyring.ErrRevokedKEK, mention: []string{"KEK 1", "delete"}, auditKind: keyring.RevokedKeyUsed,
		},
		{name: "truncated", edit: func(b []byte) []byte { return b[:len(b)-1] }, want: ErrMalformedStateKey, mention: []string{"delete"}},
		{name: "bad magic", edit: corrupt(0), want: ErrMalformedStateKey},
		{name: "future version", edit: func(b []byte) []byte { b[offVersion] = 2; return b }, want: ErrMalformedStateKey},
		{name: "empty", edit: func([]byte) []byte { return nil }, want: ErrMalformedStateKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			m := openTestMeta(t, dir, ringA(t))
			m.Put("kept", Attr{Size: 1})
			if err := m.Close(); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, stateKeyName)
			if tt.edit != nil {
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, tt.edit(b), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			audit := &eventLog{}
			ring := newRing(t, audit, kekSpec{id: 1, state: keyring.Current, seed: 0xA1})
			if tt.ring != nil {
				ring = tt.ring(t, audit)
			}
			m2, err := OpenMeta(dir, ring, MetaOptions{Logger: testLogger(t)})
			if err == nil {
				m2.Close()
				t.Fatal("OpenMeta succeeded")
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			for _, s := range tt.mention {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			if tt.auditKind != "" && !audit.has(tt.auditKind, 1) {
				t.Errorf("no %s audit event for KEK 1", tt.auditKind)
			}
			// A refused state key never wipes the cache by itself.
			if _, err := os.Stat(filepath.Join(dir, badgerDirName)); err != nil {
				t.Errorf("badger directory gone after a refused open: %v", err)
			}
		})
	}
}

func TestStateKeyRotation(t *testing.T) {
	dir := t.TempDir()
	m := openTestMeta(t, dir, ringA(t))
	m.Put("f", Attr{Size: 7, Version: "v7"})
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	// B is current, A decrypt-only: the state key moves to B.
	ringB := newRing(t, nil,
		kekSpec{id: 1, state: keyring.DecryptOnly, seed: 0xA1},
		kekSpec{id: 2, state: keyring.Current, seed: 0xB2})
	m = openTestMeta(t, dir, ringB)
	if f := readStateKeyFile(t, dir); f.kekID != 2 {
		t.Fatalf("state key wrapped by KEK %d after rotation, want 2", f.kekID)
	}
	if got, res := m.Get("f"); res != Hit || got.Size != 7 || got.Version != "v7" {
		t.Fatalf("after rotation: %+v %v", got, res)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	// A is gone altogether: the cache no longer needs it.
	ringOnlyB := newRing(t, nil, kekSpec{id: 2, state: keyring.Current, seed: 0xB2})
	m = openTestMeta(t, dir, ringOnlyB)
	if got, res := m.Get("f"); res != Hit || got.Size != 7 {
		t.Fatalf("without KEK A: %+v %v", got, res)
	}
}

func TestStateKeyRewrapUsesFreshSalt(t *testing.T) {
	dir := t.TempDir()
	m := openTestMeta(t, dir, ringA(t))
	m.Close()
	before := readStateKeyFile(t, dir)
	m = openTestMeta(t, dir, ringA(t))
	m.Close()
	if same := readStateKeyFile(t, dir); same != before {
		t.Fatal("state key file rewritten although its KEK is current")
	}
	rotated := newRing(t, nil,
		kekSpec{id: 1, state: keyring.DecryptOnly, seed: 0xA1},
		kekSpec{id: 2, state: keyring.Current, seed: 0xB2})
	m = openTestMeta(t, dir, rotated)
	m.Close()
	after := readStateKeyFile(t, dir)
	if after.salt == before.salt {
		t.Fatal("rewrap reused the salt")
	}
}

func TestStateKeyMissingStartsFresh(t *testing.T) {
	dir := t.TempDir()
	m := openTestMeta(t, dir, ringA(t))
	m.Put("f", Attr{Size: 1})
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(dir, badgerDirName))
	if err != nil || len(entries) == 0 {
		t.Fatalf("no badger files to start with: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, stateKeyName)); err != nil {
		t.Fatal(err)
	}
	m = openTestMeta(t, dir, ringA(t))
	if _, res := m.Get("f"); res != Miss {
		t.Fatalf("old entry survived a lost state key: %v", res)
	}
	m.Put("g", Attr{Size: 2})
	if _, res := m.Get("g"); res != Hit {
		t.Fatalf("fresh cache does not work: %v", res)
	}
	readStateKeyFile(t, dir)
}

func TestStateKeyWithoutCurrentKEK(t *testing.T) {
	decryptOnly := func(t *testing.T) *keyring.Keyring {
		return newRing(t, nil, kekSpec{id: 1, state: keyring.DecryptOnly, seed: 0xA1})
	}
	// A new cache needs a current KEK.
	if _, err := OpenMeta(t.TempDir(), decryptOnly(t), MetaOptions{}); !errors.Is(err, keyring.ErrNoCurrentKEK) {
		t.Fatalf("new cache without current KEK: %v, want ErrNoCurrentKEK", err)
	}
	// An existing one opens with its (now decrypt-only) KEK and stays wrapped by it.
	dir := t.TempDir()
	m := openTestMeta(t, dir, ringA(t))
	m.Put("f", Attr{Size: 1})
	m.Close()
	m = openTestMeta(t, dir, decryptOnly(t))
	if _, res := m.Get("f"); res != Hit {
		t.Fatalf("Get = %v, want hit", res)
	}
	if f := readStateKeyFile(t, dir); f.kekID != 1 {
		t.Fatalf("kek id %d, want 1", f.kekID)
	}
}

func TestParseStateKeyFileRoundTrip(t *testing.T) {
	f := stateKeyFile{kekID: 0xDEADBEEF}
	for i := range f.salt {
		f.salt[i] = byte(i)
	}
	f.kcv[3], f.wrapped[47] = 9, 8
	got, err := parseStateKeyFile(f.marshal())
	if err != nil {
		t.Fatal(err)
	}
	if got != f {
		t.Fatalf("round trip: %+v, want %+v", got, f)
	}
}
