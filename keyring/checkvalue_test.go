package keyring

import (
	"encoding/hex"
	"errors"
	"testing"
)

// The key check value is HKDF-SHA256(KEK, empty salt, "sealfs/v1/kcv" ‖
// uint32 id) cut to 16 bytes. The expected values were computed with
// Python's hmac module (RFC 5869 written out), not with this code.
func TestCheckValueKnownAnswers(t *testing.T) {
	seq := func(from byte) []byte {
		b := make([]byte, KeySize)
		for i := range b {
			b[i] = from + byte(i)
		}
		return b
	}
	cases := []struct {
		name string
		id   uint32
		key  []byte
		want string
	}{
		{"KEK 00..1f, id 1", 1, seq(0x00), "25e4470ef12e90789275367cf4256f8b"},
		{"KEK 20..3f, id 2", 2, seq(0x20), "47826d903ab6d74bd73b419105602fd3"},
		{"KEK 00..1f under id 2: the id is bound", 2, seq(0x00), "ff8478e1e92dbc6101da31f70b0bda72"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, err := NewKEK(c.id, DecryptOnly, c.key, "test")
			if err != nil {
				t.Fatal(err)
			}
			got, err := k.CheckValue()
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got[:]) != c.want {
				t.Errorf("CheckValue = %x, want %s", got, c.want)
			}
		})
	}
}

func TestCheckValueAfterClose(t *testing.T) {
	key, _ := testKey(1)
	k, err := NewKEK(1, Current, key, "test")
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(nil, k)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if _, err := k.CheckValue(); !errors.Is(err, ErrClosed) {
		t.Errorf("CheckValue after Close: %v, want ErrClosed", err)
	}
}

func TestKEKsSorted(t *testing.T) {
	var keks []*KEK
	for _, id := range []uint32{7, 4294967295, 1, 3} {
		key, _ := testKey(byte(id))
		state := DecryptOnly
		if id == 3 {
			state = Current
		}
		k, err := NewKEK(id, state, key, "test")
		if err != nil {
			t.Fatal(err)
		}
		keks = append(keks, k)
	}
	r, err := New(nil, keks...)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var ids []uint32
	for _, k := range r.KEKs() {
		ids = append(ids, k.ID())
	}
	want := []uint32{1, 3, 7, 4294967295}
	if len(ids) != len(want) {
		t.Fatalf("KEKs ids = %v, want %v", ids, want)
	}
	for i := range want {
		if ids[i] != want[i] {
			t.Fatalf("KEKs ids = %v, want %v", ids, want)
		}
	}
}
