package s3

import (
	crand "crypto/rand"
	"fmt"
	"testing"

	"github.com/sealfs/sealfs/remote"
)

// BenchmarkCommit537600 measures Create, Write and Commit(IfAbsent) of
// 537,600-byte objects (a typical DICOM instance once sealed) on a local
// MinIO, with Orthanc-like xx/yy/uuid keys.
func BenchmarkCommit537600(b *testing.B) {
	const size = 537600
	m := startMinIO(b)
	s := newTestStore(b, m)
	defer s.Close()
	data := make([]byte, size)
	ctx := b.Context()
	b.SetBytes(size)
	files := 0
	for b.Loop() {
		key := fmt.Sprintf("%02x/%02x/%s.dcm", files%256, files/256%256, crand.Text())
		up, err := s.Create(ctx, key)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := up.Write(data); err != nil {
			b.Fatal(err)
		}
		if _, err := up.Commit(ctx, remote.Condition{IfAbsent: true}); err != nil {
			b.Fatal(err)
		}
		files++
	}
	b.ReportMetric(float64(files)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkRead537600 measures Open and a whole ReadAt of a 537,600-byte object.
func BenchmarkRead537600(b *testing.B) {
	const size = 537600
	m := startMinIO(b)
	s := newTestStore(b, m)
	defer s.Close()
	ctx := b.Context()
	up, err := s.Create(ctx, "bench/obj")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := up.Write(make([]byte, size)); err != nil {
		b.Fatal(err)
	}
	if _, err := up.Commit(ctx, remote.Condition{}); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, size)
	b.SetBytes(size)
	for b.Loop() {
		obj, err := s.Open(ctx, "bench/obj", "")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := obj.ReadAt(buf, 0); err != nil {
			b.Fatal(err)
		}
		obj.Close()
	}
}
