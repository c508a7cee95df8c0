package keyring

import (
	"context"
	"testing"
)

func BenchmarkParseKey(b *testing.B) {
	_, encoded := testKey(40)
	data := []byte(encoded + "\n")
	for b.Loop() {
		key, err := ParseKey(data, "bench")
		if err != nil {
			b.Fatal(err)
		}
		clear(key)
	}
}

func BenchmarkDeriveKey(b *testing.B) {
	k := mustKEK(b, 1, Current, 41)
	salt := make([]byte, 32)
	info := []byte("sealfs/v1/wrap\x00\x00\x00\x01")
	for b.Loop() {
		sub, err := k.DeriveKey(salt, info, 32)
		if err != nil {
			b.Fatal(err)
		}
		clear(sub)
	}
}

func BenchmarkForDecryptParallel(b *testing.B) {
	r, err := New(nil, mustKEK(b, 1, Current, 42), mustKEK(b, 2, DecryptOnly, 43))
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.ForDecrypt(2, "object"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkLoadFile(b *testing.B) {
	_, encoded := testKey(44)
	dir := b.TempDir()
	path := dir + "/kek.key"
	if err := writeKeyForBench(path, encoded); err != nil {
		b.Fatal(err)
	}
	specs := []Spec{{ID: 1, State: Current, File: path}}
	for b.Loop() {
		r, err := Load(context.Background(), specs, nil)
		if err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}
