package envelope

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"io"
	"testing"
)

const (
	benchSize  = 64 << 20
	benchChunk = DefaultChunkSize
	benchRead  = 1 << 20
)

// BenchmarkSeal64MiB seals 64 MiB in one Write to io.Discard.
func BenchmarkSeal64MiB(b *testing.B) {
	ring := ringWith(b, nil, kek1Current)
	plain := pattern(benchSize)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		w, err := NewWriter(io.Discard, ring, vectorIdentity(), WriterOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.Write(plain); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen64MiB opens a 64 MiB object held in memory and reads it all
// in 1 MiB ReadAt calls.
func BenchmarkOpen64MiB(b *testing.B) {
	ring := ringWith(b, nil, kek1Current)
	id := vectorIdentity()
	obj := sealObject(b, ring, id, benchChunk, pattern(benchSize), sealHooks{})
	buf := make([]byte, benchRead)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		r, err := Open(bytes.NewReader(obj), int64(len(obj)), ring, id)
		if err != nil {
			b.Fatal(err)
		}
		for off := int64(0); off < benchSize; off += benchRead {
			if _, err := r.ReadAt(buf, off); err != nil {
				b.Fatal(err)
			}
		}
		_ = r.Close()
	}
}

// benchAEAD returns AES-256-GCM under a fixed key.
func benchAEAD(b *testing.B) cipher.AEAD {
	block, err := aes.NewCipher(kekBytes(0x40))
	if err != nil {
		b.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		b.Fatal(err)
	}
	return aead
}

// BenchmarkRawAESGCM64MiB is the baseline for BenchmarkSeal64MiB: plain
// AES-256-GCM sealing 64 KiB chunks in place, 64 MiB in all.
func BenchmarkRawAESGCM64MiB(b *testing.B) {
	aead := benchAEAD(b)
	buf := make([]byte, benchChunk+tagSize)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		for i := range uint64(benchSize / benchChunk) {
			nonce := chunkNonce(i, false)
			aead.Seal(buf[:0], nonce[:], buf[:benchChunk], nil)
		}
	}
}

// BenchmarkRawAESGCMOpen64MiB is the baseline for BenchmarkOpen64MiB: plain
// AES-256-GCM opening 1024 sealed 64 KiB chunks into a plaintext buffer.
func BenchmarkRawAESGCMOpen64MiB(b *testing.B) {
	aead := benchAEAD(b)
	const chunks = benchSize / benchChunk
	sealed := make([]byte, 0, chunks*(benchChunk+tagSize))
	plain := pattern(benchChunk)
	for i := range uint64(chunks) {
		nonce := chunkNonce(i, false)
		sealed = aead.Seal(sealed, nonce[:], plain, nil)
	}
	out := make([]byte, benchRead)
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		for i := range uint64(chunks) {
			nonce := chunkNonce(i, false)
			at := int(i) * (benchChunk + tagSize)
			to := int(i%(benchRead/benchChunk)) * benchChunk
			if _, err := aead.Open(out[to:to], nonce[:], sealed[at:at+benchChunk+tagSize], nil); err != nil {
				b.Fatal(err)
			}
		}
	}
}
