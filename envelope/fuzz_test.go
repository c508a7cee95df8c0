package envelope

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sealfs/sealfs/keyring"
)

// FuzzParseHeader feeds arbitrary bytes to the header parser. Accepted
// headers must have every key-independent field in range; refusals must be
// integrity errors.
func FuzzParseHeader(f *testing.F) {
	for _, v := range loadVectors(f) {
		obj := mustHex(f, v.Object)
		f.Add(obj[:HeaderSize])
		f.Add(obj[:HeaderSize-1])
	}
	f.Add([]byte("sealfs"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseHeader(b)
		if err != nil {
			if h != nil || !errors.Is(err, ErrIntegrity) {
				t.Fatalf("parseHeader = %v, %v", h, err)
			}
			if _, kerr := ReadKEKID(b); kerr == nil {
				t.Fatal("ReadKEKID accepts a header parseHeader refuses")
			}
			return
		}
		if !bytes.Equal(h[:], b[:HeaderSize]) {
			t.Fatal("parsed header differs from its input")
		}
		if c := h.chunkSize(); c < MinChunkSize || c > MaxChunkSize {
			t.Fatalf("accepted chunk size %d", c)
		}
		if string(b[:6]) != magic || b[offVersion] != formatVersion || b[offSuite] != suiteAESGCM || b[offReserved] != 0 {
			t.Fatal("accepted a header with a bad fixed field")
		}
		if id, err := ReadKEKID(b); err != nil || id != h.kekID() {
			t.Fatalf("ReadKEKID = %d, %v; want %d", id, err, h.kekID())
		}
	})
}

// FuzzOpen feeds arbitrary objects to Open, Verify and ReadAt. Nothing may
// panic; a refusal never comes with plaintext; the committed vectors must
// decrypt to their plaintexts.
func FuzzOpen(f *testing.F) {
	vectors := loadVectors(f)
	known := map[string][]byte{} // object -> plaintext
	for _, v := range vectors {
		obj := mustHex(f, v.Object)
		known[string(obj)] = mustHex(f, v.Plaintext)
		f.Add(obj)
		f.Add(obj[:len(obj)-1])
		f.Add(append(bytes.Clone(obj), 0))
	}
	ring := ringWith(f, nil, kek1Current, kek2Old)
	id := vectorIdentity()
	f.Fuzz(func(t *testing.T, obj []byte) {
		want, isKnown := known[string(obj)]
		r, err := openObject(obj, ring, id)
		if err != nil {
			if r != nil {
				t.Fatal("Open returned a reader with an error")
			}
			if isKnown {
				t.Fatalf("a committed vector does not open: %v", err)
			}
			if !errors.Is(err, ErrIntegrity) && !errors.Is(err, keyring.ErrUnknownKEK) {
				t.Fatalf("Open: unexpected error class: %v", err)
			}
			return
		}
		defer r.Close()
		verr := r.Verify()
		buf := make([]byte, r.Size()+1)
		n, rerr := r.ReadAt(buf, 0)
		if rerr != nil && n == len(buf)-1 && verr == nil {
			rerr = nil // io.EOF after the whole plaintext
		}
		switch {
		case rerr != nil:
			if n != 0 || !bytes.Equal(buf, make([]byte, len(buf))) {
				t.Fatalf("failed ReadAt returned %d bytes or left plaintext: %v", n, rerr)
			}
			if verr == nil {
				t.Fatalf("ReadAt fails (%v) but Verify passes", rerr)
			}
		case verr != nil:
			t.Fatalf("Verify fails (%v) but ReadAt passes", verr)
		case isKnown && !bytes.Equal(buf[:n], want):
			t.Fatal("a committed vector decrypts to the wrong plaintext")
		}
	})
}
