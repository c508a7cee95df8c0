package faults

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"

	sealfs "github.com/sealfs/sealfs/fs"
	"github.com/sealfs/sealfs/integration/testenv"
	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/s3"
)

// wbMount is a write-back mount whose state directory outlives it, so
// that a later mount replays its journal.
type wbMount struct {
	dir       string
	server    *fuse.Server
	writeBack *sealfs.WriteBack
	markers   *sealfs.DirMarkers
	ring      *keyring.Keyring
	store     remote.Store
	done      bool
}

// mountWriteBack mounts the rig's volume in write-back mode over endpoint
// with the state directory state (kept between mounts).
func (r *rig) mountWriteBack(endpoint, state string, writeBack bool) *wbMount {
	t := r.t
	t.Helper()
	m := &wbMount{dir: filepath.Join(t.TempDir(), "mnt")}
	for _, d := range []string{m.dir, state} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	logger := slog.New(slog.NewTextHandler(r.logs, nil))
	m.store, m.ring = r.openStore(endpoint, state, logger)
	if writeBack {
		m.writeBack = sealfs.NewWriteBack()
	}
	m.markers = sealfs.NewDirMarkers(0)
	var err error
	m.server, err = sealfs.Mount(m.dir, sealfs.Options{
		Store:       m.store,
		Keyring:     m.ring,
		Volume:      r.volume,
		StagingDir:  filepath.Join(state, "staging"),
		PendingDir:  filepath.Join(state, "pending"),
		SpoolDir:    filepath.Join(state, "spool"),
		WriteBack:   m.writeBack,
		DirMarkers:  m.markers,
		ListLookups: true,
		Logger:      logger,
	}, sealfs.MountOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.stop(t, 0) })
	return m
}

// stop unmounts and waits up to drain for the uploads (0: none, as when
// the daemon is killed: the journal on disk is all that remains). It
// returns the drain's error.
func (m *wbMount) stop(t *testing.T, drain time.Duration) error {
	if m.done {
		return nil
	}
	m.done = true
	if err := testenv.UnmountServer(m.server, m.dir); err != nil {
		t.Errorf("unmount %s: %v", m.dir, err)
	}
	var err error
	ctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if m.writeBack != nil {
		err = m.writeBack.Drain(ctx)
	}
	m.markers.Drain(ctx)
	m.ring.Close()
	m.store.Close()
	return err
}

func randomData(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// expectation is what one path must hold: content, or absent (nil).
type expectation map[string][]byte

func (e expectation) check(t *testing.T, where, dir string) {
	t.Helper()
	for rel, want := range e {
		got, err := os.ReadFile(filepath.Join(dir, rel))
		switch {
		case want == nil && errors.Is(err, fs.ErrNotExist):
		case want == nil:
			t.Errorf("%s: %s exists (%d bytes, err %v); it was deleted or renamed away", where, rel, len(got), err)
		case err != nil:
			t.Errorf("%s: %s: %v", where, rel, err)
		case !bytes.Equal(got, want):
			t.Errorf("%s: %s holds %d bytes, not the %d acknowledged", where, rel, len(got), len(want))
		}
	}
	// Nothing under go-fuse's internal names, in the mount or the store.
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".go-fuse") {
			t.Errorf("%s: %s is visible", where, p)
		}
		return nil
	})
}

// An upload in flight, then a namespace operation or a truncation on the
// same file, then the end of the mount (the upload finishes; the daemon
// dies; the mount is unmounted with the store down): the next mount never
// undoes what was acknowledged, and nothing reaches the store under
// go-fuse's internal names.
func TestWriteBackJournalOrder(t *testing.T) {
	type op struct {
		name string
		// run changes the files (a and b exist, a's new version is being
		// uploaded) and returns what must be true afterwards.
		run func(t *testing.T, dir string, a, b []byte) expectation
	}
	ops := []op{
		{"unlink", func(t *testing.T, dir string, a, b []byte) expectation {
			must(t, os.Remove(filepath.Join(dir, "d/a")))
			return expectation{"d/a": nil, "d/b": b}
		}},
		{"rename", func(t *testing.T, dir string, a, b []byte) expectation {
			must(t, os.Rename(filepath.Join(dir, "d/a"), filepath.Join(dir, "d/c")))
			return expectation{"d/a": nil, "d/c": a, "d/b": b}
		}},
		{"rename over", func(t *testing.T, dir string, a, b []byte) expectation {
			must(t, os.Rename(filepath.Join(dir, "d/a"), filepath.Join(dir, "d/b")))
			return expectation{"d/a": nil, "d/b": a}
		}},
		{"truncate", func(t *testing.T, dir string, a, b []byte) expectation {
			must(t, os.Truncate(filepath.Join(dir, "d/a"), 1000))
			return expectation{"d/a": a[:1000], "d/b": b}
		}},
		{"rewrite", func(t *testing.T, dir string, a, b []byte) expectation {
			c := randomData(50_000)
			must(t, os.WriteFile(filepath.Join(dir, "d/a"), c, 0o644))
			return expectation{"d/a": c, "d/b": b}
		}},
	}
	ends := []string{"upload finishes", "daemon killed", "unmounted with the store down"}
	r := newRig(t, true)
	r.mount.unmount(t)
	for _, o := range ops {
		for _, end := range ends {
			t.Run(o.name+"/"+end, func(t *testing.T) {
				r.t = t
				state := t.TempDir()
				endpoint := "http://" + r.proxy.Listen
				m := r.mountWriteBack(endpoint, state, true)
				must(t, os.MkdirAll(filepath.Join(m.dir, "d"), 0o755))
				a, b := randomData(300_000), randomData(120_000)
				must(t, os.WriteFile(filepath.Join(m.dir, "d/a"), randomData(10_000), 0o644))
				must(t, os.WriteFile(filepath.Join(m.dir, "d/b"), b, 0o644))
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				if err := waitQueued(ctx, m.writeBack, 0); err != nil {
					t.Fatalf("first versions not uploaded: %v", err)
				}
				cancel()
				// The new version of a is acknowledged; its upload cannot
				// finish (the proxy cuts every connection that sends more
				// than 64 KiB to the store) until the toxic goes, while
				// small requests (stat, list, delete) still pass.
				r.proxy.AddToxic(t, testenv.Toxic{Name: "stall", Type: "limit_data", Stream: "upstream", Attributes: map[string]int{"bytes": 64 << 10}})
				stalled := true
				unstall := func() {
					if stalled {
						stalled = false
						r.proxy.RemoveToxic(t, "stall")
					}
				}
				t.Cleanup(func() { unstall(); r.proxy.SetEnabled(t, true) })
				must(t, os.WriteFile(filepath.Join(m.dir, "d/a"), a, 0o644))
				time.Sleep(200 * time.Millisecond) // the upload starts
				if q := m.writeBack.Stats().Queued; q == 0 {
					t.Fatal("the new version of a is not queued")
				}
				want := o.run(t, m.dir, a, b)
				want.check(t, "the mount, right after", m.dir)
				switch end {
				case "upload finishes":
					unstall()
					if err := m.stop(t, time.Minute); err != nil {
						t.Fatalf("drain: %v", err)
					}
				case "daemon killed":
					r.proxy.SetEnabled(t, false)
					unstall()
					m.stop(t, 0)
					r.proxy.SetEnabled(t, true)
				case "unmounted with the store down":
					r.proxy.SetEnabled(t, false)
					unstall()
					if err := m.stop(t, 2*time.Second); err == nil {
						t.Error("drain succeeded with the store down")
					}
					if left, _ := os.ReadDir(filepath.Join(state, "pending")); len(left) == 0 {
						t.Error("nothing journaled after an unmount with the store down")
					}
					r.proxy.SetEnabled(t, true)
				}
				again := r.mountWriteBack(endpoint, state, true)
				want.check(t, "remounted", again.dir)
				if err := again.stop(t, time.Minute); err != nil {
					t.Fatalf("drain after remount: %v", err)
				}
				if left, _ := os.ReadDir(filepath.Join(state, "pending")); len(left) != 0 {
					t.Errorf("%d journal files left after a drained unmount", len(left))
				}
				fresh := r.mountWriteBack(r.minio.Endpoint, t.TempDir(), false)
				want.check(t, "the store (a fresh mount)", fresh.dir)
				fresh.stop(t, 0)
				clearVolume(t, r)
			})
		}
	}
}

// Write-back keeps ingest running through an outage: new files are
// created, written and acknowledged while the store is unreachable for
// 60 s, read back from the journal meanwhile, and all reach the store
// once it is back.
func TestWriteBackIngestThroughOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("a 60 s outage: skipped in -short mode")
	}
	r := newRig(t, true)
	r.mount.unmount(t)
	state := t.TempDir()
	m := r.mountWriteBack("http://"+r.proxy.Listen, state, true)
	want := expectation{}
	write := func(phase string, n int) {
		for i := range n {
			rel := filepath.Join("st", phase[:2], strings.Repeat("0", 3)+string(rune('a'+i%26)), phase+"-"+strconv.Itoa(i))
			data := randomData(20_000 + i*37)
			must(t, os.MkdirAll(filepath.Dir(filepath.Join(m.dir, rel)), 0o755))
			f, err := os.OpenFile(filepath.Join(m.dir, rel), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
			must(t, err)
			_, err = f.Write(data)
			must(t, err)
			must(t, f.Sync())
			must(t, f.Close())
			want[rel] = data
		}
	}
	write("before", 20)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	must(t, waitQueued(ctx, m.writeBack, 0))
	before := maps.Clone(want)
	clear(want)
	r.proxy.SetEnabled(t, false)
	outage := time.Now()
	accepted := 0
	for time.Since(outage) < 60*time.Second {
		// Orthanc-like bursts: 25 instances, then a pause.
		write("during"+strconv.Itoa(accepted/25), 25)
		accepted += 25
		time.Sleep(2 * time.Second)
	}
	want.check(t, "during the outage", m.dir) // read back from the journal
	// Files only the store holds cannot be read: EIO where the mount still
	// knows the name, ENOENT where the kernel forgot it (a name the mount
	// does not know is answered absent during an outage, so that new files
	// can be created); never bytes.
	for rel := range before {
		if _, err := os.ReadFile(filepath.Join(m.dir, rel)); !errors.Is(err, syscall.EIO) && !errors.Is(err, syscall.ENOENT) {
			t.Errorf("during the outage: %s (in the store only): %v, want EIO or ENOENT", rel, err)
			break
		}
	}
	maps.Copy(want, before)
	queued := m.writeBack.Stats()
	t.Logf("outage of %s: %d files accepted; journal holds %d, oldest %s ago",
		time.Since(outage).Round(time.Second), accepted, queued.Queued, time.Since(queued.Oldest).Round(time.Second))
	if queued.Queued < accepted {
		t.Errorf("journal holds %d changes, want at least the %d files written during the outage", queued.Queued, accepted)
	}
	r.proxy.SetEnabled(t, true)
	back := time.Now()
	if err := waitQueued(ctx, m.writeBack, 0); err != nil {
		t.Fatalf("journal not drained after the store came back: %v", err)
	}
	t.Logf("drained %d files in %s after the store came back", accepted, time.Since(back).Round(100*time.Millisecond))
	if n := r.logs.count("sequential upload turned into a staged file"); n != 0 {
		t.Errorf("%d files left the sequential fast path", n)
	}
	m.stop(t, time.Minute)
	fresh := r.mountWriteBack(r.minio.Endpoint, t.TempDir(), false)
	want.check(t, "the store (a fresh mount)", fresh.dir)
}

// waitQueued waits until the journal holds at most n changes.
func waitQueued(ctx context.Context, wb *sealfs.WriteBack, n int) error {
	for wb.Stats().Queued > n {
		if err := ctx.Err(); err != nil {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// clearVolume deletes every object of the rig's volume, so that the next
// case starts from an empty store.
func clearVolume(t *testing.T, r *rig) {
	t.Helper()
	s, err := s3.New(context.Background(), s3.Config{Bucket: bucket, Endpoint: r.minio.Endpoint, AccessKey: r.minio.AccessKey, SecretKey: r.minio.SecretKey,
		PathStyle: true, SpoolDir: t.TempDir(), RequestTimeout: requestTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var keys []string
	err = s.List(context.Background(), prefix+"/", true, func(e remote.Entry) error {
		keys = append(keys, e.Key)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if strings.Contains(k, ".go-fuse") {
			t.Errorf("object %s reached the store", k)
		}
		if err := s.Delete(context.Background(), k, remote.Condition{}); err != nil {
			t.Fatal(err)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A file created while the store is down whose name another writer takes
// meanwhile: the upload is refused by the store's conditional write, the
// other writer's object stays, and the acknowledged content is kept in
// conflicts/, logged and audited.
func TestWriteBackConflictKept(t *testing.T) {
	r := newRig(t, true)
	r.mount.unmount(t)
	state := t.TempDir()
	m := r.mountWriteBack("http://"+r.proxy.Listen, state, true)
	must(t, os.MkdirAll(filepath.Join(m.dir, "d"), 0o755))
	must(t, os.WriteFile(filepath.Join(m.dir, "d/seen"), []byte("known"), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	must(t, waitQueued(ctx, m.writeBack, 0))
	r.proxy.SetEnabled(t, false)
	mine := randomData(40_000)
	must(t, os.WriteFile(filepath.Join(m.dir, "d/taken"), mine, 0o644)) // journaled: the store is down
	other := []byte("another writer's object")
	s, err := s3.New(context.Background(), s3.Config{Bucket: bucket, Prefix: prefix, Endpoint: r.minio.Endpoint, AccessKey: r.minio.AccessKey,
		SecretKey: r.minio.SecretKey, PathStyle: true, SpoolDir: t.TempDir(), RequestTimeout: requestTimeout})
	must(t, err)
	defer s.Close()
	up, err := s.Create(context.Background(), "d/taken")
	must(t, err)
	_, err = up.Write(other)
	must(t, err)
	_, err = up.Commit(context.Background(), remote.Condition{})
	must(t, err)
	r.proxy.SetEnabled(t, true)
	must(t, waitQueued(ctx, m.writeBack, 0))
	kept, _ := os.ReadDir(filepath.Join(state, "conflicts"))
	if len(kept) != 1 {
		t.Errorf("conflicts/ holds %d files, want 1", len(kept))
	}
	if n := r.logs.count("the store refused an acknowledged change"); n != 1 {
		t.Errorf("%d conflict log lines, want 1", n)
	}
	if n := r.logs.count("event=write-conflict"); n != 1 {
		t.Errorf("%d write-conflict audit events, want 1", n)
	}
	obj, err := s.Open(context.Background(), "d/taken", "")
	must(t, err)
	got := make([]byte, obj.Info().Size)
	obj.ReadAt(got, 0)
	obj.Close()
	if !bytes.Equal(got, other) {
		t.Error("the other writer's object was overwritten")
	}
}
