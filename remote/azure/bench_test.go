package azure

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/sealfs/sealfs/remote"
)

// BenchmarkAzurite measures, against a local Azurite, the commit of
// typical objects (537,600 bytes, IfAbsent: one Put Blob each) and their
// reading back (Open and one ranged GET).
func BenchmarkAzurite(b *testing.B) {
	endpoint := startAzurite(b)
	s := newTestStore(b, endpoint, nil)
	defer s.Close()
	data := bytes.Repeat([]byte{0x5a}, orthancSize)
	ctx := b.Context()
	b.Run("Commit537600", func(b *testing.B) {
		b.SetBytes(orthancSize)
		i := 0
		for b.Loop() {
			up, err := s.Create(ctx, fmt.Sprintf("bench/%08d", i))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := up.Write(data); err != nil {
				b.Fatal(err)
			}
			if _, err := up.Commit(ctx, remote.Condition{IfAbsent: true}); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "files/s")
	})
	b.Run("Read537600", func(b *testing.B) {
		const key = "bench/read"
		up, err := s.Create(ctx, key)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := up.Write(data); err != nil {
			b.Fatal(err)
		}
		if _, err := up.Commit(ctx, remote.Condition{}); err != nil {
			b.Fatal(err)
		}
		buf := make([]byte, orthancSize)
		b.SetBytes(orthancSize)
		for b.Loop() {
			obj, err := s.Open(ctx, key, "")
			if err != nil {
				b.Fatal(err)
			}
			if n, err := obj.ReadAt(buf, 0); n != orthancSize || err != nil && err != io.EOF {
				b.Fatalf("ReadAt: %d, %v", n, err)
			}
			obj.Close()
		}
	})
}
