package maintain

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/sealfs/sealfs/envelope"
	"github.com/sealfs/sealfs/integration/testenv"
	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/local"
	"github.com/sealfs/sealfs/remote/retry"
	"github.com/sealfs/sealfs/remote/s3"
)

// storeKinds are the real stores these tests run against: the local tier
// and S3 (MinIO on loopback), as fs/stores_test.go opens them.
var storeKinds = []struct {
	name string
	open func(t testing.TB) remote.Store
}{
	{"local", func(t testing.TB) remote.Store {
		s, err := local.New(t.TempDir(), local.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return retry.Wrap(s, retry.Policy{})
	}},
	{"s3", func(t testing.TB) remote.Store {
		m := testenv.StartMinIO(t)
		spool := t.TempDir()
		s, err := s3.New(context.Background(), s3.Config{Bucket: "sealfs", Prefix: "vol", Endpoint: m.Endpoint,
			AccessKey: m.AccessKey, SecretKey: m.SecretKey, PathStyle: true, CreateBucket: true, SpoolDir: spool})
		if err != nil {
			t.Fatal(err)
		}
		return retry.Wrap(s, retry.Policy{})
	}},
}

func forEachStore(t *testing.T, fn func(t *testing.T, store remote.Store)) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			if testing.Short() && kind.name != "local" {
				t.Skip("cloud stores: skipped in -short mode")
			}
			store := kind.open(t)
			t.Cleanup(func() { store.Close() })
			fn(t, store)
		})
	}
}

const testChunk = 4096

var testVolume = [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}

// keys holds KEK material by id; ring builds keyrings from it.
type keys map[uint32][]byte

func newKeys(t testing.TB, ids ...uint32) keys {
	k := keys{}
	for _, id := range ids {
		b, err := keyring.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		k[id] = b
	}
	return k
}

// ring returns a keyring with the given states (the KEKs get copies).
func (k keys) ring(t testing.TB, states map[uint32]keyring.State) *keyring.Keyring {
	t.Helper()
	var keks []*keyring.KEK
	for id, st := range states {
		kek, err := keyring.NewKEK(id, st, bytes.Clone(k[id]), fmt.Sprintf("test-%d", id))
		if err != nil {
			t.Fatal(err)
		}
		keks = append(keks, kek)
	}
	r, err := keyring.New(nil, keks...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// put seals plain as the object key under ring's current KEK.
func put(t testing.TB, store remote.Store, ring *keyring.Keyring, key string, plain []byte) {
	t.Helper()
	putChunk(t, store, ring, key, plain, testChunk)
}

// putChunk is put with another chunk size.
func putChunk(t testing.TB, store remote.Store, ring *keyring.Keyring, key string, plain []byte, chunk int) {
	t.Helper()
	ctx := context.Background()
	up, err := store.Create(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	w, err := envelope.NewWriter(up, ring, envelope.Identity{Volume: testVolume, Path: key}, envelope.WriterOptions{ChunkSize: chunk})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := up.Commit(ctx, remote.Condition{}); err != nil {
		t.Fatalf("commit %s: %v", key, err)
	}
}

// get reads key back in full through ring.
func get(t *testing.T, store remote.Store, ring *keyring.Keyring, key string) ([]byte, error) {
	t.Helper()
	obj, err := store.Open(context.Background(), key, "")
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	r, err := envelope.Open(obj, obj.Info().Size, ring, envelope.Identity{Volume: testVolume, Path: key})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// fill writes n objects of assorted sizes (empty, one chunk, several) in
// two directories, plus a directory marker, and returns their contents.
func fill(t *testing.T, store remote.Store, ring *keyring.Keyring, n int) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for i := range n {
		key := fmt.Sprintf("%02x/obj-%03d", i%2, i)
		files[key] = randomBytes((i * 3001) % (3 * testChunk))
		put(t, store, ring, key, files[key])
	}
	up, err := store.Create(context.Background(), "empty/")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.Commit(context.Background(), remote.Condition{}); err != nil {
		t.Fatal(err)
	}
	return files
}

func options(store remote.Store, ring *keyring.Keyring, checkpoint string) Options {
	return Options{Store: store, Keyring: ring, Volume: testVolume, ChunkSize: testChunk, Jobs: 3, Checkpoint: checkpoint}
}

// flipByte flips one byte of key's body in place (a new version).
func flipByte(t *testing.T, store remote.Store, key string, off int64) {
	t.Helper()
	ctx := context.Background()
	obj, err := store.Open(ctx, key, "")
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(io.NewSectionReader(obj, 0, obj.Info().Size))
	obj.Close()
	if err != nil {
		t.Fatal(err)
	}
	data[off] ^= 0x40
	up, err := store.Create(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	up.Write(data)
	if _, err := up.Commit(ctx, remote.Condition{}); err != nil {
		t.Fatal(err)
	}
}

func TestVerify(t *testing.T) {
	forEachStore(t, func(t *testing.T, store remote.Store) {
		k := newKeys(t, 1)
		ring := k.ring(t, map[uint32]keyring.State{1: keyring.Current})
		files := fill(t, store, ring, 12)
		cp := filepath.Join(t.TempDir(), "verify.checkpoint")
		rep, err := Verify(context.Background(), options(store, ring, cp))
		if err != nil {
			t.Fatalf("verify of good data: %v (%+v)", err, rep.Failures)
		}
		if rep.Objects != int64(len(files)) || rep.KEKUsage[1].Objects != int64(len(files)) || len(rep.Failures) != 0 {
			t.Fatalf("report %+v", rep)
		}
		if _, ok, _ := loadCheckpoint(cp); ok {
			t.Error("checkpoint left after a complete run")
		}

		flipByte(t, store, "01/obj-005", envelope.HeaderSize+100)
		rep, err = Verify(context.Background(), options(store, ring, cp))
		if !errors.Is(err, ErrFailures) {
			t.Fatalf("verify after a flipped byte: %v", err)
		}
		if len(rep.Failures) != 1 || rep.Failures[0].Key != "01/obj-005" || !errors.Is(rep.Failures[0].Err, envelope.ErrIntegrity) ||
			rep.Failures[0].Problem != "tampered" {
			t.Fatalf("failures %+v", rep.Failures)
		}
		if rep.Objects != int64(len(files)) {
			t.Errorf("objects %d", rep.Objects)
		}
	})
}

// A key that is not loaded, or revoked, fails verify for its objects,
// which --kek-usage still counts under their id.
func TestVerifyUnknownAndRevokedKEK(t *testing.T) {
	store := storeKinds[0].open(t)
	k := newKeys(t, 1, 2)
	put(t, store, k.ring(t, map[uint32]keyring.State{1: keyring.Current}), "a", []byte("one"))
	put(t, store, k.ring(t, map[uint32]keyring.State{2: keyring.Current}), "b", []byte("two"))
	tests := []struct {
		name    string
		ring    *keyring.Keyring
		want    error
		wantB   string
		problem string
	}{
		{"unknown", k.ring(t, map[uint32]keyring.State{1: keyring.Current}), keyring.ErrUnknownKEK, "b", "unknown KEK"},
		{"revoked", k.ring(t, map[uint32]keyring.State{1: keyring.Current, 2: keyring.Revoked}), keyring.ErrRevokedKEK, "b", "revoked KEK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Verify(context.Background(), options(store, tt.ring, ""))
			if !errors.Is(err, ErrFailures) || len(rep.Failures) != 1 || rep.Failures[0].Key != tt.wantB || !errors.Is(rep.Failures[0].Err, tt.want) ||
				rep.Failures[0].Problem != tt.problem {
				t.Fatalf("err %v failures %+v", err, rep.Failures)
			}
			if rep.KEKUsage[1].Objects != 1 || rep.KEKUsage[2].Objects != 1 {
				t.Errorf("kek usage %+v", rep.KEKUsage)
			}
		})
	}
}

func TestRotate(t *testing.T) {
	forEachStore(t, func(t *testing.T, store remote.Store) {
		k := newKeys(t, 1, 2)
		files := fill(t, store, k.ring(t, map[uint32]keyring.State{1: keyring.Current}), 10)
		ring2 := k.ring(t, map[uint32]keyring.State{1: keyring.DecryptOnly, 2: keyring.Current})
		ctx := context.Background()

		rep, err := Rotate(ctx, options(store, ring2, ""), RotateOptions{From: 3, HasFrom: true})
		if err != nil || rep.NotSelected != int64(len(files)) || rep.Rewrapped != 0 {
			t.Fatalf("rotate --from 3: %v %+v", err, rep)
		}
		rep, err = Rotate(ctx, options(store, ring2, ""), RotateOptions{DryRun: true})
		if err != nil || rep.Rewrapped != int64(len(files)) {
			t.Fatalf("dry run: %v %+v", err, rep)
		}
		if v, _ := Verify(ctx, options(store, ring2, "")); v.KEKUsage[1].Objects != int64(len(files)) {
			t.Fatalf("a dry run changed objects: %+v", v.KEKUsage)
		}

		rep, err = Rotate(ctx, options(store, ring2, ""), RotateOptions{From: 1, HasFrom: true})
		if err != nil || rep.Rewrapped != int64(len(files)) || rep.Failures != nil {
			t.Fatalf("rotate: %v %+v", err, rep)
		}
		// KEK 1 revoked: everything verifies and reads back under KEK 2.
		ring3 := k.ring(t, map[uint32]keyring.State{1: keyring.Revoked, 2: keyring.Current})
		v, err := Verify(ctx, options(store, ring3, ""))
		if err != nil || v.KEKUsage[1].Objects != 0 || v.KEKUsage[2].Objects != int64(len(files)) {
			t.Fatalf("verify after rotate: %v %+v", err, v)
		}
		only2 := k.ring(t, map[uint32]keyring.State{2: keyring.Current})
		for key, want := range files {
			got, err := get(t, store, only2, key)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s after rotate: %v", key, err)
			}
		}
		rep, err = Rotate(ctx, options(store, ring2, ""), RotateOptions{})
		if err != nil || rep.Current != int64(len(files)) || rep.Rewrapped != 0 {
			t.Fatalf("second rotate: %v %+v", err, rep)
		}
	})
}

// cancelAfter cancels a context once n uploads have committed.
type cancelAfter struct {
	remote.Store
	n, commits atomic.Int64
	cancel     context.CancelFunc
}

type countingUpload struct {
	remote.Upload
	s *cancelAfter
}

func (s *cancelAfter) Create(ctx context.Context, key string) (remote.Upload, error) {
	up, err := s.Store.Create(ctx, key)
	return countingUpload{up, s}, err
}

func (u countingUpload) Commit(ctx context.Context, cond remote.Condition) (remote.Info, error) {
	info, err := u.Upload.Commit(ctx, cond)
	if err == nil && u.s.commits.Add(1) == u.s.n.Load() {
		u.s.cancel()
	}
	return info, err
}

// A rotate interrupted after some objects resumes from its checkpoint
// and the report covers both runs.
func TestRotateResume(t *testing.T) {
	forEachStore(t, func(t *testing.T, store remote.Store) {
		k := newKeys(t, 1, 2)
		files := fill(t, store, k.ring(t, map[uint32]keyring.State{1: keyring.Current}), 20)
		ring2 := k.ring(t, map[uint32]keyring.State{1: keyring.DecryptOnly, 2: keyring.Current})
		cp := filepath.Join(t.TempDir(), "rotate.checkpoint")

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		wrapped := &cancelAfter{Store: store, cancel: cancel}
		wrapped.n.Store(7)
		rep, err := Rotate(ctx, options(wrapped, ring2, cp), RotateOptions{})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted rotate: %v", err)
		}
		saved, ok, err := loadCheckpoint(cp)
		if !ok || err != nil || saved.After == "" || saved.Report.Rewrapped == 0 || saved.Report.Objects >= int64(len(files)) {
			t.Fatalf("checkpoint after the interruption: %v %v %+v (run report %+v)", ok, err, saved, rep)
		}

		rep, err = Rotate(context.Background(), options(store, ring2, cp), RotateOptions{})
		if err != nil {
			t.Fatalf("resumed rotate: %v", err)
		}
		if rep.ResumedAfter != saved.After || rep.Objects != int64(len(files)) || rep.Rewrapped+rep.Current != int64(len(files)) {
			t.Fatalf("resumed report %+v (checkpoint after %q)", rep, saved.After)
		}
		if _, ok, _ := loadCheckpoint(cp); ok {
			t.Error("checkpoint left after the run completed")
		}
		v, err := Verify(context.Background(), options(store, ring2, ""))
		if err != nil || v.KEKUsage[2].Objects != int64(len(files)) {
			t.Fatalf("verify: %v %+v", err, v.KEKUsage)
		}
	})
}

// An object replaced between rotate's read and its write is not
// clobbered: the conditional write fails, and rotate reads it again and
// retries; if it keeps changing, it is reported and left as it is.
func TestRotateConcurrentRewrite(t *testing.T) {
	forEachStore(t, func(t *testing.T, store remote.Store) {
		k := newKeys(t, 1, 2)
		ring1 := k.ring(t, map[uint32]keyring.State{1: keyring.Current})
		put(t, store, ring1, "x", []byte("old"))
		ring2 := k.ring(t, map[uint32]keyring.State{1: keyring.DecryptOnly, 2: keyring.Current})
		tests := []struct {
			name     string
			rewrites int // how many of rotate's writes a "mount" beats
			wantErr  error
		}{
			{"once: retried", 1, nil},
			{"always: reported", 100, ErrFailures},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				put(t, store, ring1, "x", []byte("old"))
				n := 0
				var last []byte
				ro := RotateOptions{beforeCommit: func(key string) {
					if n < tt.rewrites {
						n++
						last = fmt.Appendf(nil, "rewritten by a mount %d/%d", i, n)
						put(t, store, ring1, key, last)
					}
				}}
				rep, err := Rotate(context.Background(), options(store, ring2, ""), ro)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("rotate: %v %+v", err, rep)
				}
				got, gerr := get(t, store, ring2, "x")
				if gerr != nil || !bytes.Equal(got, last) {
					t.Fatalf("object after rotate: %q %v, want the concurrent write %q", got, gerr, last)
				}
				if tt.wantErr == nil {
					if rep.Retries != 1 || rep.Rewrapped != 1 {
						t.Errorf("report %+v", rep)
					}
					if v, _ := Verify(context.Background(), options(store, ring2, "")); v.KEKUsage[2].Objects != 1 {
						t.Errorf("kek usage %+v", v.KEKUsage)
					}
				} else if len(rep.Failures) != 1 || !errors.Is(rep.Failures[0].Err, ErrConcurrentChange) {
					t.Errorf("failures %+v", rep.Failures)
				}
			})
		}
	})
}

// bodyOf returns key's stored bytes after the header.
func bodyOf(t *testing.T, store remote.Store, key string) []byte {
	t.Helper()
	obj, err := store.Open(context.Background(), key, "")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	b, err := io.ReadAll(io.NewSectionReader(obj, envelope.HeaderSize, obj.Info().Size-envelope.HeaderSize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// --reencrypt seals every object again under a fresh data key: the
// bodies change (rewrapping leaves them as they are), the contents read
// back under the new KEK alone, and a damaged object is reported and left
// as it is.
func TestRotateReencrypt(t *testing.T) {
	forEachStore(t, func(t *testing.T, store remote.Store) {
		k := newKeys(t, 1, 2)
		files := fill(t, store, k.ring(t, map[uint32]keyring.State{1: keyring.Current}), 8)
		ring2 := k.ring(t, map[uint32]keyring.State{1: keyring.DecryptOnly, 2: keyring.Current})
		ctx := context.Background()
		// All are rewrapped first: their data keys are the old ones, now
		// under KEK 2; --reencrypt must not skip them.
		if _, err := Rotate(ctx, options(store, ring2, ""), RotateOptions{}); err != nil {
			t.Fatal(err)
		}
		before := map[string][]byte{}
		for key := range files {
			before[key] = bodyOf(t, store, key)
		}
		flipByte(t, store, "00/obj-002", envelope.HeaderSize+5)
		damaged := bodyOf(t, store, "00/obj-002")

		rep, err := Rotate(ctx, options(store, ring2, ""), RotateOptions{Reencrypt: true})
		if !errors.Is(err, ErrFailures) || len(rep.Failures) != 1 || rep.Failures[0].Key != "00/obj-002" ||
			!errors.Is(rep.Failures[0].Err, envelope.ErrIntegrity) || rep.Rewrapped != int64(len(files)-1) {
			t.Fatalf("reencrypt: %v %+v", err, rep)
		}
		if !bytes.Equal(bodyOf(t, store, "00/obj-002"), damaged) {
			t.Error("the damaged object was rewritten")
		}
		only2 := k.ring(t, map[uint32]keyring.State{2: keyring.Current})
		for key, want := range files {
			if key == "00/obj-002" {
				continue
			}
			if len(want) > 0 && bytes.Equal(bodyOf(t, store, key), before[key]) {
				t.Errorf("%s: body unchanged by --reencrypt", key)
			}
			if got, err := get(t, store, only2, key); err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s after --reencrypt: %v", key, err)
			}
		}
	})
}
