package local_test

import (
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/local"
)

// objectSize is the size of a typical DICOM instance stored by Orthanc.
const objectSize = 512 << 10

// layouts are the directory fan-outs of the benchmarks' xx/yy/uuid keys:
// "newdirs" (256×256, as Orthanc: nearly every file starts two new
// directories in a fresh store) and "warmdirs" (4×4 directories that
// exist before timing starts: the steady state of a full store).
var layouts = []struct {
	name   string
	fanout int
	warm   bool
}{
	{"newdirs", 256, false},
	{"warmdirs", 4, true},
}

// orthancKey returns a key shaped like Orthanc's storage layout.
func orthancKey(rng *rand.Rand, fanout int) string {
	return fmt.Sprintf("%02x/%02x/%s.dcm", rng.IntN(fanout), rng.IntN(fanout), crand.Text())
}

// prepare creates the fan-out's directories under root if the layout is warm.
func prepare(b *testing.B, root string, fanout int, warm bool) {
	b.Helper()
	if !warm {
		return
	}
	for x := range fanout {
		for y := range fanout {
			if err := os.MkdirAll(filepath.Join(root, fmt.Sprintf("%02x/%02x", x, y)), 0o700); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkCommit512K measures Create, Write and Commit(IfAbsent) of
// 512 KiB objects, the dominant Orthanc workload.
func BenchmarkCommit512K(b *testing.B) {
	data := make([]byte, objectSize)
	for _, layout := range layouts {
		b.Run(layout.name, func(b *testing.B) {
			root := b.TempDir()
			prepare(b, root, layout.fanout, layout.warm)
			s, err := local.New(root, local.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			rng := rand.New(rand.NewPCG(1, 2))
			ctx := b.Context()
			b.SetBytes(objectSize)
			files := 0
			for b.Loop() {
				up, err := s.Create(ctx, orthancKey(rng, layout.fanout))
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
		})
	}
}

// BenchmarkPlainWrite512K is the baseline for BenchmarkCommit512K: create
// the file in place, write, fdatasync ("plain"), and also fsync its
// directory ("plain+dirsync", the durability Commit provides).
func BenchmarkPlainWrite512K(b *testing.B) {
	data := make([]byte, objectSize)
	for _, syncParent := range []bool{false, true} {
		for _, layout := range layouts {
			name := "plain/" + layout.name
			if syncParent {
				name = "plain+dirsync/" + layout.name
			}
			b.Run(name, func(b *testing.B) {
				root := b.TempDir()
				prepare(b, root, layout.fanout, layout.warm)
				rng := rand.New(rand.NewPCG(1, 2))
				b.SetBytes(objectSize)
				files := 0
				for b.Loop() {
					path := filepath.Join(root, orthancKey(rng, layout.fanout))
					if err := writeDurably(path, data, syncParent); err != nil {
						b.Fatal(err)
					}
					files++
				}
				b.ReportMetric(float64(files)/b.Elapsed().Seconds(), "files/s")
			})
		}
	}
}

// writeDurably writes data to a new file at path (creating its
// directories), fdatasyncs it and, if syncParent, fsyncs its directory.
func writeDurably(path string, data []byte, syncParent bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := unix.Fdatasync(int(f.Fd())); err != nil {
		return err
	}
	if !syncParent {
		return f.Close()
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}

// BenchmarkCommitVsPlain512K alternates one Commit(IfAbsent) and one
// plain+dirsync write per iteration on the same disk and reports each
// one's rate and their ratio, so that load from other processes weighs on
// both alike.
func BenchmarkCommitVsPlain512K(b *testing.B) {
	data := make([]byte, objectSize)
	for _, layout := range layouts {
		b.Run(layout.name, func(b *testing.B) {
			root, plainRoot := b.TempDir(), b.TempDir()
			prepare(b, root, layout.fanout, layout.warm)
			prepare(b, plainRoot, layout.fanout, layout.warm)
			s, err := local.New(root, local.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			rng := rand.New(rand.NewPCG(1, 2))
			ctx := b.Context()
			var commitTime, plainTime time.Duration
			files := 0
			for b.Loop() {
				start := time.Now()
				up, err := s.Create(ctx, orthancKey(rng, layout.fanout))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := up.Write(data); err != nil {
					b.Fatal(err)
				}
				if _, err := up.Commit(ctx, remote.Condition{IfAbsent: true}); err != nil {
					b.Fatal(err)
				}
				mid := time.Now()
				if err := writeDurably(filepath.Join(plainRoot, orthancKey(rng, layout.fanout)), data, true); err != nil {
					b.Fatal(err)
				}
				commitTime += mid.Sub(start)
				plainTime += time.Since(mid)
				files++
			}
			b.ReportMetric(float64(files)/commitTime.Seconds(), "commit-files/s")
			b.ReportMetric(float64(files)/plainTime.Seconds(), "plain-files/s")
			b.ReportMetric(commitTime.Seconds()/plainTime.Seconds(), "commit/plain")
		})
	}
}
