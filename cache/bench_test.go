package cache

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/sealfs/sealfs/remote"
)

// openBenchMeta opens a cache with a silent logger and long TTLs.
func openBenchMeta(b *testing.B, dir string) *Meta {
	b.Helper()
	m, err := OpenMeta(dir, ringA(b), MetaOptions{AttrTTL: time.Hour, NegativeTTL: time.Hour, ListTTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = m.Close() })
	return m
}

// benchPath returns a path shaped like Orthanc's: two levels and a UUID-like name.
func benchPath(i int) string {
	return fmt.Sprintf("%02x/%02x/%08x-1b2c-4d5e-8f90-%012x", i&0xff, (i>>8)&0xff, i, i)
}

func benchAttr(i int) Attr {
	return Attr{Size: int64(i) * 1000, Version: fmt.Sprintf("\"%032x\"", i), ModTime: time.Unix(1_800_000_000, int64(i))}
}

func BenchmarkMetaPut(b *testing.B) {
	m := openBenchMeta(b, b.TempDir())
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Put(benchPath(i), benchAttr(i))
		i++
	}
}

func BenchmarkMetaGetHit(b *testing.B) {
	m := openBenchMeta(b, b.TempDir())
	const n = 10_000
	for i := range n {
		m.Put(benchPath(i), benchAttr(i))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, res := m.Get(benchPath(i % n)); res != Hit {
			b.Fatalf("miss for %d", i%n)
		}
		i++
	}
}

func BenchmarkMetaGetMiss(b *testing.B) {
	m := openBenchMeta(b, b.TempDir())
	for i := range 10_000 {
		m.Put(benchPath(i), benchAttr(i))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Get(benchPath(1_000_000 + i))
		i++
	}
}

func BenchmarkMetaListing100(b *testing.B) {
	m := openBenchMeta(b, b.TempDir())
	entries := make([]remote.Entry, 100)
	for i := range entries {
		entries[i] = remote.Entry{Info: remote.Info{Key: benchPath(i), Size: int64(i), Version: "v"}}
	}
	m.PutListing("d", entries)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := m.Listing("d"); !ok {
			b.Fatal("listing missing")
		}
	}
}

// BenchmarkMetaFootprint100k puts 100,000 attributes, closes the cache and
// reports the bytes it holds on disk.
func BenchmarkMetaFootprint100k(b *testing.B) {
	for b.Loop() {
		dir := b.TempDir()
		m := openBenchMeta(b, dir)
		for i := range 100_000 {
			m.Put(benchPath(i), benchAttr(i))
		}
		if err := m.Close(); err != nil {
			b.Fatal(err)
		}
		var total int64
		err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			total += info.Size()
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(total), "disk-bytes")
	}
}
