package staging

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkWriteAt measures 4 KiB writes at random 4 KiB-aligned offsets of
// a 16 MiB file and 64 KiB sequential writes, for two chunk sizes. No
// fdatasync: this is the sealing and read-modify-write cost.
func BenchmarkWriteAt(b *testing.B) {
	const fileSize = 16 << 20
	for _, chunk := range []int{4 << 10, 64 << 10} {
		b.Run(fmt.Sprintf("chunk=%dKiB/random-4KiB", chunk>>10), func(b *testing.B) {
			s, _ := createStaged(b, newRing(b, nil, 1), "bench", chunk)
			mustWrite(b, s, make([]byte, fileSize), 0)
			p := pattern(4<<10, 1)
			rng := rand.New(rand.NewPCG(1, 2))
			b.SetBytes(int64(len(p)))
			b.ResetTimer()
			for b.Loop() {
				mustWrite(b, s, p, rng.Int64N(fileSize/int64(len(p)))*int64(len(p)))
			}
		})
		b.Run(fmt.Sprintf("chunk=%dKiB/sequential-64KiB", chunk>>10), func(b *testing.B) {
			s, _ := createStaged(b, newRing(b, nil, 1), "bench", chunk)
			p := pattern(64<<10, 1)
			b.SetBytes(int64(len(p)))
			var off int64
			for b.Loop() {
				mustWrite(b, s, p, off)
				off = (off + int64(len(p))) % fileSize
			}
		})
	}
}

// BenchmarkReadAt measures 4 KiB reads at random offsets of a 16 MiB file.
func BenchmarkReadAt(b *testing.B) {
	const fileSize = 16 << 20
	for _, chunk := range []int{4 << 10, 64 << 10} {
		b.Run(fmt.Sprintf("chunk=%dKiB/random-4KiB", chunk>>10), func(b *testing.B) {
			s, _ := createStaged(b, newRing(b, nil, 1), "bench", chunk)
			mustWrite(b, s, make([]byte, fileSize), 0)
			p := make([]byte, 4<<10)
			rng := rand.New(rand.NewPCG(1, 2))
			b.SetBytes(int64(len(p)))
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.ReadAt(p, rng.Int64N(fileSize/int64(len(p)))*int64(len(p))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
