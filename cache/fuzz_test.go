package cache

import (
	"bytes"
	"testing"
	"time"

	"github.com/sealfs/sealfs/remote"
)

func FuzzParseStateKeyFile(f *testing.F) {
	valid := (&stateKeyFile{kekID: 7}).marshal()
	f.Add(valid)
	f.Add(valid[:len(valid)-1])
	f.Add(append(append([]byte(nil), valid...), 0))
	f.Add([]byte(stateKeyMagic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		sk, err := parseStateKeyFile(b)
		if err != nil {
			return
		}
		if !bytes.Equal(sk.marshal(), b) {
			t.Fatalf("accepted % x but re-marshals differently", b)
		}
	})
}

func FuzzDecodeAttr(f *testing.F) {
	exp := time.Unix(1_900_000_000, 0)
	f.Add(encodeAttr(Attr{Size: 10, Version: "etag", ModTime: time.Unix(1, 2), IsDir: true}, exp))
	f.Add(encodeAttr(Attr{}, exp))
	f.Add(encodeNegative(exp))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, e, err := decodeAttr(b)
		if err != nil {
			return
		}
		// Varints need not be minimal, so compare values, not bytes.
		a2, e2, err := decodeAttr(encodeAttr(a, e))
		if err != nil || !attrEqual(a, a2) || !e.Equal(e2) {
			t.Fatalf("accepted % x as %+v, %v but its re-encoding decodes as %+v, %v (%v)", b, a, e, a2, e2, err)
		}
	})
}

func FuzzDecodeListing(f *testing.F) {
	exp := time.Unix(1_900_000_000, 0)
	f.Add(encodeListing([]remote.Entry{
		{Info: remote.Info{Key: "a/"}, IsPrefix: true},
		{Info: remote.Info{Key: "a/b", Size: 5, Version: "v", ModTime: time.Unix(3, 4)}},
	}, exp))
	f.Add(encodeListing(nil, exp))
	f.Add([]byte{valueFormat, kindListing})
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, e, err := decodeListing(b)
		if err != nil {
			return
		}
		// Varints need not be minimal, so compare values, not bytes.
		entries2, e2, err := decodeListing(encodeListing(entries, e))
		if err != nil || !entriesEqual(entries, entries2) || !e.Equal(e2) {
			t.Fatalf("accepted % x as %+v but its re-encoding decodes as %+v (%v)", b, entries, entries2, err)
		}
	})
}
