package fs_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealfs/sealfs/integration/testenv"
	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/azure"
	"github.com/sealfs/sealfs/remote/gcs"
	"github.com/sealfs/sealfs/remote/local"
	"github.com/sealfs/sealfs/remote/retry"
	"github.com/sealfs/sealfs/remote/s3"
)

// storeKind is a backend the filesystem tests run against: the local tier
// and real S3 (MinIO), GCS (fake-gcs-server) and Azure (Azurite) servers on
// loopback. start brings up a fresh, empty store for one test and returns
// a function that opens a handle on it (each mount gets its own).
type storeKind struct {
	name  string
	start func(t *testing.T, base string) func() remote.Store
}

var storeKinds = []storeKind{
	{"local", func(t *testing.T, base string) func() remote.Store {
		dir := filepath.Join(base, "store")
		mkdirs(t, dir)
		return func() remote.Store {
			s, err := local.New(dir, local.Options{})
			return checked(t, s, err)
		}
	}},
	{"s3", func(t *testing.T, base string) func() remote.Store {
		m := testenv.StartMinIO(t)
		create := true
		return func() remote.Store {
			cfg := s3.Config{Bucket: "sealfs", Prefix: "vol", Endpoint: m.Endpoint, AccessKey: m.AccessKey, SecretKey: m.SecretKey,
				PathStyle: true, CreateBucket: create, SpoolDir: spoolDir(t, base)}
			create = false
			s, err := s3.New(context.Background(), cfg)
			return checked(t, s, err)
		}
	}},
	{"gcs", func(t *testing.T, base string) func() remote.Store {
		addr := testenv.StartFakeGCS(t)
		create := true
		return func() remote.Store {
			cfg := gcs.Config{Bucket: "sealfs", Prefix: "vol", Endpoint: addr, CreateBucket: create, SpoolDir: spoolDir(t, base)}
			create = false
			s, err := gcs.New(context.Background(), cfg)
			return checked(t, s, err)
		}
	}},
	{"azure", func(t *testing.T, base string) func() remote.Store {
		conn := testenv.StartAzurite(t)
		create := true
		return func() remote.Store {
			cfg := azure.Config{Container: "sealfs", Prefix: "vol", ConnectionString: conn, CreateContainer: create, SpoolDir: spoolDir(t, base)}
			create = false
			s, err := azure.New(context.Background(), cfg)
			return checked(t, s, err)
		}
	}},
}

// forEachStore runs fn once per store kind (only the local tier with -short).
func forEachStore(t *testing.T, fn func(t *testing.T, kind storeKind)) {
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			if testing.Short() && kind.name != "local" {
				t.Skip("cloud stores: skipped in -short mode")
			}
			fn(t, kind)
		})
	}
}

func spoolDir(t *testing.T, base string) string {
	dir := filepath.Join(base, "uploads")
	mkdirs(t, dir)
	return dir
}

// checked fails the test on err, else wraps s in the retry policy, as the
// mount command does.
func checked(t *testing.T, s remote.Store, err error) remote.Store {
	t.Helper()
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	return retry.Wrap(s, retry.Policy{})
}

// The admin handle inspects and tampers with the store behind the mount's back.

func (m *testMount) objectSize(rel string) (int64, error) {
	info, err := m.admin.Stat(context.Background(), rel)
	return info.Size, err
}

func (m *testMount) objectExists(rel string) bool {
	_, err := m.admin.Stat(context.Background(), rel)
	if err != nil && !errors.Is(err, remote.ErrNotFound) {
		m.t.Fatalf("stat object %s: %v", rel, err)
	}
	return err == nil
}

func (m *testMount) readObject(rel string) []byte {
	m.t.Helper()
	obj, err := m.admin.Open(context.Background(), rel, "")
	if err != nil {
		m.t.Fatalf("open object %s: %v", rel, err)
	}
	defer obj.Close()
	data, err := io.ReadAll(io.NewSectionReader(obj, 0, obj.Info().Size))
	if err != nil {
		m.t.Fatalf("read object %s: %v", rel, err)
	}
	return data
}

func (m *testMount) writeObject(rel string, data []byte) {
	m.t.Helper()
	up, err := m.admin.Create(context.Background(), rel)
	if err != nil {
		m.t.Fatal(err)
	}
	if _, err := up.Write(data); err != nil {
		m.t.Fatal(err)
	}
	if _, err := up.Commit(context.Background(), remote.Condition{}); err != nil {
		m.t.Fatalf("write object %s: %v", rel, err)
	}
}

// objectKeys lists every object but sealfs's own reserved ones.
func (m *testMount) objectKeys() []string {
	m.t.Helper()
	var keys []string
	err := m.admin.List(context.Background(), "", true, func(e remote.Entry) error {
		if !strings.HasPrefix(e.Key, ".sealfs") {
			keys = append(keys, e.Key)
		}
		return nil
	})
	if err != nil {
		m.t.Fatal(err)
	}
	return keys
}

// objectsContain reports whether any stored object holds marker.
func (m *testMount) objectsContain(marker []byte) []string {
	var hits []string
	for _, k := range m.objectKeys() {
		if bytes.Contains(m.readObject(k), marker) || strings.Contains(k, string(marker)) {
			hits = append(hits, k)
		}
	}
	return hits
}
