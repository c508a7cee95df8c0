package fs_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	sealfs "github.com/sealfs/sealfs/fs"
	"github.com/sealfs/sealfs/integration/testenv"
	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/s3"
)

// Write-back: close returns before the upload; reads see the data at once;
// the unmount drains the uploads, and a write-through mount reads them back.
func TestWriteBack(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		m := newMountOn(t, kind, 4096)
		m.unmount()
		m.writeBack = sealfs.NewWriteBack()
		m.mount()
		files := map[string][]byte{}
		os.MkdirAll(m.path("aa/bb"), 0o755)
		for i := range 8 {
			name := "aa/bb/f" + itoa(i)
			files[name] = randomBytes(20_000 + i*7000)
			writeFile(t, m.path(name), files[name])
		}
		f, err := os.OpenFile(m.path("aa/bb/f0"), os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		patch := randomBytes(3000)
		f.WriteAt(patch, 5000)
		copy(files["aa/bb/f0"][5000:], patch)
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		for name, data := range files {
			if got := mustRead(t, m.path(name)); !bytes.Equal(got, data) {
				t.Errorf("%s: read before upload differs", name)
			}
		}
		m.unmount() // drains
		if entries, _ := os.ReadDir(filepath.Join(m.stateDir, "pending")); len(entries) != 0 {
			t.Errorf("%d journal files left after a drained unmount", len(entries))
		}
		m.mount()
		for name, data := range files {
			if got := mustRead(t, m.path(name)); !bytes.Equal(got, data) {
				t.Errorf("%s: read after upload differs", name)
			}
		}
	})
}

// Acknowledged data survives the store being down: the journal keeps it,
// and the next mount uploads it before it serves.
func TestWriteBackSurvivesStoreOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("needs MinIO: skipped in -short mode")
	}
	minio := testenv.StartMinIO(t)
	kind := storeKind{name: "s3", start: func(t *testing.T, base string) func() remote.Store {
		create := true
		return func() remote.Store {
			cfg := s3.Config{Bucket: "writeback", Endpoint: minio.Endpoint, AccessKey: minio.AccessKey, SecretKey: minio.SecretKey,
				PathStyle: true, CreateBucket: create, SpoolDir: spoolDir(t, base), RequestTimeout: 2 * time.Second}
			create = false
			s, err := s3.New(context.Background(), cfg)
			return checked(t, s, err)
		}
	}}
	m := newMountOn(t, kind, 0)
	m.unmount()
	m.writeBack = sealfs.NewWriteBack()
	m.mount()
	os.MkdirAll(m.path("cc/dd"), 0o755)
	data := randomBytes(200_000)
	f, err := os.Create(m.path("cc/dd/acked"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	minio.Kill()
	if err := f.Sync(); err != nil { // acknowledged while the store is down
		t.Fatalf("fsync in write-back mode with the store down: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// Unmount without waiting for the store: the upload stays journaled.
	if err := m.server.Unmount(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	if err := m.writeBack.Drain(ctx); err == nil {
		t.Error("drain succeeded with the store down")
	}
	cancel()
	m.writeBack = nil
	m.meta.Close()
	m.unmounted = true
	if entries, _ := os.ReadDir(filepath.Join(m.stateDir, "pending")); len(entries) != 1 {
		t.Fatalf("journal holds %d files, want 1", len(entries))
	}
	minio.Restart(t)
	m.mount() // replays the journal before serving
	if got := mustRead(t, m.path("cc/dd/acked")); !bytes.Equal(got, data) {
		t.Fatal("acknowledged file differs after the outage")
	}
	if !m.objectExists("cc/dd/acked") {
		t.Error("object not in the store after the replay")
	}
}
