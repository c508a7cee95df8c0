package orthanca1

import (
	"bytes"
	"testing"

	"github.com/sealfs/sealfs/keyring"
)

// sequence returns n bytes start, start+1, ...
func sequence(start byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

func TestEncryptReproducesVectors(t *testing.T) {
	iv, dek := sequence(0x40, 32), sequence(0x60, 32)
	tests := []struct {
		file      string
		keyID     uint32
		keyFile   string
		plaintext string
	}{
		{"vector_fixed.hex", 1, "kek1.key", "Plain text message"},
		{"vector_fixed_k2.hex", 2, "kek2.key", "Plain text message"},
		{"vector_fixed_empty.hex", 1, "kek1.key", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := Encrypt([]byte(tt.plaintext), newKEK(t, tt.keyID, keyring.Current, tt.keyFile), iv, dek)
			if err != nil {
				t.Fatal(err)
			}
			if want := loadHex(t, tt.file); !bytes.Equal(got, want) {
				t.Fatalf("Encrypt =\n%x\nwant\n%x", got, want)
			}
		})
	}
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	ring := newRing(t, nil, map[uint32]string{0xfffffffe: "kek2.key"})
	kek, err := ring.ForDecrypt(0xfffffffe, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 15, 16, 17, 4096, 100000} {
		plaintext := sequence(byte(n), n)
		obj, err := Encrypt(plaintext, kek, sequence(1, 32), sequence(2, 32))
		if err != nil {
			t.Fatal(err)
		}
		if len(obj) != n+Overhead {
			t.Fatalf("%d bytes encrypt to %d, want %d", n, len(obj), n+Overhead)
		}
		got, err := Decrypt(obj, ring, "roundtrip")
		if err != nil || !bytes.Equal(got, plaintext) {
			t.Fatalf("%d bytes: round trip failed: %v", n, err)
		}
	}
}

func TestEncryptRejectsBadSizes(t *testing.T) {
	kek := newKEK(t, 1, keyring.Current, "kek1.key")
	tests := []struct {
		name    string
		iv, dek []byte
	}{
		{"short IV", sequence(0, 12), sequence(0, 32)},
		{"long IV", sequence(0, 33), sequence(0, 32)},
		{"AES-128 DEK", sequence(0, 32), sequence(0, 16)},
		{"nil DEK", sequence(0, 32), nil},
	}
	for _, tt := range tests {
		if obj, err := Encrypt([]byte("x"), kek, tt.iv, tt.dek); err == nil || obj != nil {
			t.Errorf("%s: Encrypt = %x, %v; want an error", tt.name, obj, err)
		}
	}
}
