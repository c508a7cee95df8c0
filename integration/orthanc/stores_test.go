package orthanc

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealfs/sealfs/integration/dicom"
	"github.com/sealfs/sealfs/integration/testenv"
	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/s3"
)

// objectStore is the store under a sealfs mount, as the tests see it behind
// sealfs's back. Objects sit at the same keys in every kind: the path in the
// mount, such as xx/yy/uuid.
type objectStore interface {
	// mountArgs returns the arguments of "sealfs mount --foreground" that
	// come before the mount point, for a mount with key and stateDir.
	mountArgs(t *testing.T, key, stateDir string) []string
	// flipByte inverts one byte in the middle of the object at key.
	flipByte(t *testing.T, key string)
	// swap exchanges the contents of two objects.
	swap(t *testing.T, a, b string)
	// objects lists what the store holds apart from sealfs's reserved
	// top-level entries (.sealfs-volume, …).
	objects(t *testing.T) []string
	// scanRoots are the directories on disk that hold the objects' bytes,
	// which must never contain plaintext.
	scanRoots() []string
}

// storeKind is a backend the end-to-end tests run against.
type storeKind struct {
	name string
	// restShape is the shape of the 0.5 MB instances uploaded over REST:
	// fewer for the slower backends (the multi-frame ones are always sent).
	restShape dicom.Shape
	// open brings up a fresh, empty store under base.
	open func(t *testing.T, base string) objectStore
}

// storeKinds lists the backends: the local tier and S3 (a MinIO on
// loopback).
var storeKinds = []storeKind{
	{name: "local", restShape: dicom.Shape{Patients: 3, Studies: 2, Series: 1, Instances: 5}, open: openLocalStore},
	{name: "s3", restShape: dicom.Shape{Patients: 3, Studies: 2, Series: 1, Instances: 2}, open: openS3Store},
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

// localStore is a local-tier store: a directory holding one file per object.
type localStore struct{ dir string }

// openLocalStore makes an empty store directory under base.
func openLocalStore(t *testing.T, base string) objectStore {
	t.Helper()
	return newLocalStore(t, filepath.Join(base, "store"))
}

// newLocalStore makes the store directory dir.
func newLocalStore(t *testing.T, dir string) *localStore {
	t.Helper()
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return &localStore{dir: dir}
}

func (s *localStore) mountArgs(_ *testing.T, key, stateDir string) []string {
	return []string{"--key", key, "--key-id", "1", "--state-dir", stateDir, s.dir}
}

func (s *localStore) flipByte(t *testing.T, key string) {
	t.Helper()
	path := filepath.Join(s.dir, key)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xFF
	if err := os.WriteFile(path, data, 0); err != nil {
		t.Fatal(err)
	}
}

func (s *localStore) swap(t *testing.T, a, b string) {
	t.Helper()
	pathA, pathB := filepath.Join(s.dir, a), filepath.Join(s.dir, b)
	tmp := pathA + ".swap"
	if err := errors.Join(os.Rename(pathA, tmp), os.Rename(pathB, pathA), os.Rename(tmp, pathB)); err != nil {
		t.Fatal(err)
	}
}

func (s *localStore) objects(t *testing.T) []string {
	t.Helper()
	return userEntries(t, s.dir)
}

func (s *localStore) scanRoots() []string { return []string{s.dir} }

// Where the S3 kind keeps its objects, and the bucket of the scan probe.
const (
	s3Bucket      = "orthanc"
	s3Prefix      = "vol"
	s3ProbeBucket = "probe"
)

// s3Store is a bucket on a MinIO of its own; admin reads and writes its
// objects directly.
type s3Store struct {
	minio     *testenv.MinIO
	admin     remote.Store
	configDir string
}

// openS3Store starts MinIO, creates the bucket, and checks that MinIO keeps
// object bytes as they were sent, so that scanning its data directory for
// plaintext means something.
func openS3Store(t *testing.T, base string) objectStore {
	t.Helper()
	m := testenv.StartMinIO(t)
	s := &s3Store{minio: m, admin: openS3Admin(t, m, s3Bucket, s3Prefix, base), configDir: base}
	probe := dicom.Collection(9, dicom.Shape{Patients: 1, Studies: 1, Series: 1, Instances: 1})[0].Encode()
	probeStore := openS3Admin(t, m, s3ProbeBucket, "", base)
	writeObject(t, probeStore, "probe.dcm", probe)
	if hits := filesWith(t, []byte(dicom.Marker), filepath.Join(m.Dir, s3ProbeBucket)); len(hits) == 0 {
		t.Fatal("the marker of an object written to MinIO is not found in its data directory: scanning it would prove nothing")
	}
	return s
}

// openS3Admin opens a store handle on bucket/prefix, creating the bucket.
func openS3Admin(t *testing.T, m *testenv.MinIO, bucket, prefix, base string) remote.Store {
	t.Helper()
	spool, err := os.MkdirTemp(base, "spool-"+bucket+"-")
	if err != nil {
		t.Fatal(err)
	}
	store, err := s3.New(context.Background(), s3.Config{
		Bucket: bucket, Prefix: prefix, Endpoint: m.Endpoint, AccessKey: m.AccessKey, SecretKey: m.SecretKey,
		PathStyle: true, CreateBucket: true, SpoolDir: spool,
	})
	if err != nil {
		t.Fatalf("open bucket %s: %v", bucket, err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return store
}

// mountConfig is the part of sealfs's JSON configuration the S3 kind writes.
type mountConfig struct {
	Store    string         `json:"store"`
	S3       mountS3Section `json:"s3"`
	Keys     []mountKey     `json:"keys"`
	StateDir string         `json:"state_dir"`
}

// mountS3Section holds the S3 credentials of sealfs's configuration.
type mountS3Section struct {
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
}

// mountKey names one key file in sealfs's configuration.
type mountKey struct {
	ID    int    `json:"id"`
	State string `json:"state"`
	File  string `json:"file"`
}

func (s *s3Store) mountArgs(t *testing.T, key, stateDir string) []string {
	t.Helper()
	query := url.Values{"endpoint": {s.minio.Endpoint}, "path-style": {"true"}}
	conf := mountConfig{
		Store:    "s3://" + s3Bucket + "/" + s3Prefix + "?" + query.Encode(),
		S3:       mountS3Section{AccessKey: s.minio.AccessKey, SecretKey: s.minio.SecretKey},
		Keys:     []mountKey{{ID: 1, State: "current", File: key}},
		StateDir: stateDir,
	}
	data, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.configDir, "sealfs-"+filepath.Base(stateDir)+".json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"--config", path}
}

func (s *s3Store) flipByte(t *testing.T, key string) {
	t.Helper()
	data := readObject(t, s.admin, key)
	data[len(data)/2] ^= 0xFF
	writeObject(t, s.admin, key, data)
}

func (s *s3Store) swap(t *testing.T, a, b string) {
	t.Helper()
	dataA, dataB := readObject(t, s.admin, a), readObject(t, s.admin, b)
	writeObject(t, s.admin, a, dataB)
	writeObject(t, s.admin, b, dataA)
}

func (s *s3Store) objects(t *testing.T) []string {
	t.Helper()
	var keys []string
	err := s.admin.List(context.Background(), "", true, func(e remote.Entry) error {
		if !strings.HasPrefix(e.Key, ".sealfs") {
			keys = append(keys, e.Key)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("listing the bucket: %v", err)
	}
	return keys
}

// scanRoots is MinIO's whole data directory but the probe's bucket.
func (s *s3Store) scanRoots() []string {
	entries, err := os.ReadDir(s.minio.Dir)
	if err != nil {
		return []string{s.minio.Dir} // the scan reports the error
	}
	var roots []string
	for _, e := range entries {
		if e.Name() != s3ProbeBucket {
			roots = append(roots, filepath.Join(s.minio.Dir, e.Name()))
		}
	}
	return roots
}

// readObject returns the current content of an object.
func readObject(t *testing.T, store remote.Store, key string) []byte {
	t.Helper()
	obj, err := store.Open(context.Background(), key, "")
	if err != nil {
		t.Fatalf("open object %s: %v", key, err)
	}
	defer obj.Close()
	data, err := io.ReadAll(io.NewSectionReader(obj, 0, obj.Info().Size))
	if err != nil {
		t.Fatalf("read object %s: %v", key, err)
	}
	return data
}

// writeObject replaces (or creates) an object.
func writeObject(t *testing.T, store remote.Store, key string, data []byte) {
	t.Helper()
	up, err := store.Create(context.Background(), key)
	if err != nil {
		t.Fatalf("write object %s: %v", key, err)
	}
	if _, err := up.Write(data); err != nil {
		_ = up.Abort()
		t.Fatalf("write object %s: %v", key, err)
	}
	if _, err := up.Commit(context.Background(), remote.Condition{}); err != nil {
		t.Fatalf("write object %s: %v", key, err)
	}
}
