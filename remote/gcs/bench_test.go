package gcs_test

import (
	"fmt"
	"testing"

	"github.com/sealfs/sealfs/remote"
)

// sealedInstanceSize is the size of a typical sealed 512 KiB DICOM instance.
const sealedInstanceSize = 537600

// BenchmarkCommit measures Create, Write and Commit(IfAbsent) of one
// sealed instance against fake-gcs-server (memory backend): the cost of
// the client side and of one loopback request.
func BenchmarkCommit(b *testing.B) {
	s := newStore(b, startFakeGCS(b, memoryBackend))
	defer s.Close()
	data := make([]byte, sealedInstanceSize)
	b.SetBytes(sealedInstanceSize)
	i := 0
	for b.Loop() {
		up, err := s.Create(b.Context(), fmt.Sprintf("bench/%08d", i))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := up.Write(data); err != nil {
			b.Fatal(err)
		}
		if _, err := up.Commit(b.Context(), remote.Condition{IfAbsent: true}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkReadAt measures one 64 KiB ranged read of a pinned generation.
func BenchmarkReadAt(b *testing.B) {
	s := newStore(b, startFakeGCS(b, memoryBackend))
	defer s.Close()
	up, err := s.Create(b.Context(), "bench/read")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := up.Write(make([]byte, sealedInstanceSize)); err != nil {
		b.Fatal(err)
	}
	if _, err := up.Commit(b.Context(), remote.Condition{}); err != nil {
		b.Fatal(err)
	}
	obj, err := s.Open(b.Context(), "bench/read", "")
	if err != nil {
		b.Fatal(err)
	}
	defer obj.Close()
	buf := make([]byte, 64<<10)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := obj.ReadAt(buf, 128<<10); err != nil {
			b.Fatal(err)
		}
	}
}
