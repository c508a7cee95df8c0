package local_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/local"
)

// lookupDepths are the key shapes the lookup benchmarks resolve:
// Orthanc's xx/yy/uuid, and a deep path such as a DICOMweb tree.
var lookupDepths = []struct {
	name  string
	depth int // directories above the file
}{
	{"orthanc", 2},
	{"deep8", 8},
}

// lookupStore fills a store with files shaped by depth and returns it
// with their keys.
func lookupStore(b *testing.B, depth int) (*local.Store, []string) {
	b.Helper()
	s, err := local.New(b.TempDir(), local.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	rng := rand.New(rand.NewPCG(3, 4))
	keys := make([]string, 256)
	for i := range keys {
		var dirs []string
		for range depth {
			dirs = append(dirs, fmt.Sprintf("%02x", rng.IntN(4)))
		}
		keys[i] = strings.Join(dirs, "/") + fmt.Sprintf("/obj-%03d.dcm", i)
		up, err := s.Create(b.Context(), keys[i])
		if err != nil {
			b.Fatal(err)
		}
		up.Write([]byte("dicom"))
		if _, err := up.Commit(b.Context(), remote.Condition{}); err != nil {
			b.Fatal(err)
		}
	}
	return s, keys
}

// BenchmarkStat measures Stat of existing keys: the lookup behind every
// FUSE LOOKUP and GETATTR that misses the metadata cache.
func BenchmarkStat(b *testing.B) {
	for _, d := range lookupDepths {
		b.Run(d.name, func(b *testing.B) {
			s, keys := lookupStore(b, d.depth)
			ctx := b.Context()
			i := 0
			for b.Loop() {
				if _, err := s.Stat(ctx, keys[i%len(keys)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkOpen measures Open and Close of existing keys.
func BenchmarkOpen(b *testing.B) {
	for _, d := range lookupDepths {
		b.Run(d.name, func(b *testing.B) {
			s, keys := lookupStore(b, d.depth)
			ctx := b.Context()
			i := 0
			for b.Loop() {
				obj, err := s.Open(ctx, keys[i%len(keys)], "")
				if err != nil {
					b.Fatal(err)
				}
				obj.Close()
				i++
			}
		})
	}
}

// BenchmarkListRecursive measures a recursive listing of the whole store
// (256 files), as a rebuild of the metadata cache does.
func BenchmarkListRecursive(b *testing.B) {
	for _, d := range lookupDepths {
		b.Run(d.name, func(b *testing.B) {
			s, keys := lookupStore(b, d.depth)
			ctx := b.Context()
			for b.Loop() {
				n := 0
				if err := s.List(ctx, "", true, func(remote.Entry) error { n++; return nil }); err != nil {
					b.Fatal(err)
				}
				if n != len(keys) {
					b.Fatalf("listed %d keys, want %d", n, len(keys))
				}
			}
		})
	}
}
