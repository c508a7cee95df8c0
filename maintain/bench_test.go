package maintain

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/remote"
)

// benchChunk is the mount's default chunk size.
const benchChunk = 64 << 10

// benchStore fills a local-tier store with n objects of size bytes.
func benchStore(b *testing.B, kind int, k keys, n, size int) remote.Store {
	store := storeKinds[kind].open(b)
	ring := k.ring(b, map[uint32]keyring.State{1: keyring.Current})
	data := randomBytes(size)
	for i := range n {
		putChunk(b, store, ring, fmt.Sprintf("%02x/%02x/instance-%05d", i%256, i/256%256, i), data, benchChunk)
	}
	b.Cleanup(func() { store.Close() })
	return store
}

func reportRate(b *testing.B, rep Report, objects int64) {
	secs := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(objects)/secs, "objects/s")
	b.ReportMetric(float64(rep.Bytes)/secs/1e6, "MB/s")
}

// Orthanc-sized objects (about 512 KiB each) on the local tier and MinIO.
func BenchmarkVerify(b *testing.B) {
	for kind := range storeKinds {
		b.Run(storeKinds[kind].name, func(b *testing.B) {
			k := newKeys(b, 1)
			store := benchStore(b, kind, k, 400, 512<<10)
			ring := k.ring(b, map[uint32]keyring.State{1: keyring.Current})
			var rep Report
			for b.Loop() {
				var err error
				if rep, err = Verify(context.Background(), Options{Store: store, Keyring: ring, Volume: testVolume, ChunkSize: benchChunk}); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b, rep, rep.Objects)
		})
	}
}

// Rotate (local tier and MinIO) alternates between KEK 1 and KEK 2, so every run rewraps every
// object.
func BenchmarkRotate(b *testing.B) {
	for _, tc := range []struct {
		name          string
		kind, n, size int
		reencrypt     bool
	}{{"local/400x512KiB", 0, 400, 512 << 10, false}, {"local/1x200MiB", 0, 1, 200 << 20, false},
		{"s3/400x512KiB", 1, 400, 512 << 10, false}, {"s3/1x200MiB", 1, 1, 200 << 20, false},
		{"reencrypt/local/400x512KiB", 0, 400, 512 << 10, true}} {
		b.Run(tc.name, func(b *testing.B) {
			k := newKeys(b, 1, 2)
			store := benchStore(b, tc.kind, k, tc.n, tc.size)
			rings := []*keyring.Keyring{
				k.ring(b, map[uint32]keyring.State{1: keyring.DecryptOnly, 2: keyring.Current}),
				k.ring(b, map[uint32]keyring.State{1: keyring.Current, 2: keyring.DecryptOnly}),
			}
			var rep Report
			i := 0
			for b.Loop() {
				var err error
				rep, err = Rotate(context.Background(), Options{Store: store, Keyring: rings[i%2], Volume: testVolume, ChunkSize: benchChunk}, RotateOptions{Reencrypt: tc.reencrypt})
				if err != nil || rep.Rewrapped != int64(tc.n) {
					b.Fatal(err, rep)
				}
				i++
			}
			reportRate(b, rep, rep.Rewrapped)
		})
	}
}

// Migrate of 400 Orthanc-sized files (512 KiB, xx/yy/uuid) from a plain
// directory into a fresh store (local tier and MinIO), and the re-run that
// finds them all already migrated (it reads and compares every file).
func BenchmarkMigrate(b *testing.B) {
	src := b.TempDir()
	const n, size = 400, 512 << 10
	data := randomBytes(size)
	for i := range n {
		p := filepath.Join(src, fmt.Sprintf("%02x", i%256), fmt.Sprintf("%02x", i/256%256), fmt.Sprintf("instance-%05d", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for kind := range storeKinds {
		for _, rerun := range []bool{false, true} {
			name := storeKinds[kind].name + "/400x512KiB"
			if rerun {
				name += "/rerun"
			}
			b.Run(name, func(b *testing.B) {
				ring := newKeys(b, 1).ring(b, map[uint32]keyring.State{1: keyring.Current})
				var rep Report
				var store remote.Store
				for i := 0; i < b.N; i++ {
					if store == nil || !rerun {
						b.StopTimer()
						if store != nil {
							store.Close()
						}
						store = storeKinds[kind].open(b)
						if rerun {
							if _, err := Migrate(context.Background(), Options{Store: store, Keyring: ring, Volume: testVolume, ChunkSize: benchChunk}, MigrateOptions{FromDir: src}); err != nil {
								b.Fatal(err)
							}
						}
						b.StartTimer()
					}
					var err error
					rep, err = Migrate(context.Background(), Options{Store: store, Keyring: ring, Volume: testVolume, ChunkSize: benchChunk}, MigrateOptions{FromDir: src})
					if err != nil || rep.Migrated+rep.AlreadyMigrated != n {
						b.Fatal(err, rep)
					}
				}
				store.Close()
				reportRate(b, rep, rep.Objects)
			})
		}
	}
}
