package crash

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sealfs/sealfs/integration/testenv"
	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/s3"
)

// Where the volume lives in MinIO.
const (
	bucket = "crash"
	prefix = "vol"
)

// createBucket creates the volume's bucket, waiting (boundedly) while MinIO
// still answers 503 just after it reported itself ready.
func createBucket(t *testing.T, ctx context.Context, m *testenv.MinIO) {
	t.Helper()
	const attempts = 100
	var err error
	for range attempts {
		var store *s3.Store
		store, err = s3.New(ctx, s3.Config{Bucket: bucket, Endpoint: m.Endpoint, AccessKey: m.AccessKey, SecretKey: m.SecretKey,
			PathStyle: true, CreateBucket: true, SpoolDir: t.TempDir()})
		if err == nil {
			_ = store.Close()
			return
		}
		if !errors.Is(err, remote.ErrUnavailable) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("creating bucket %s in MinIO: %v", bucket, err)
}

// mountConfig is the part of sealfs's JSON configuration the test writes.
type mountConfig struct {
	Store    string     `json:"store"`
	S3       s3Section  `json:"s3"`
	Keys     []keyEntry `json:"keys"`
	StateDir string     `json:"state_dir"`
}

// s3Section holds MinIO's test credentials.
type s3Section struct {
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
}

// keyEntry names one key file.
type keyEntry struct {
	ID    int    `json:"id"`
	State string `json:"state"`
	File  string `json:"file"`
}

// writeConfig writes the configuration of a mount of the test's volume
// with key and stateDir into dir, and returns its path.
func writeConfig(t *testing.T, m *testenv.MinIO, key, stateDir, dir string) string {
	t.Helper()
	query := url.Values{"endpoint": {m.Endpoint}, "path-style": {"true"}}
	conf := mountConfig{
		Store:    "s3://" + bucket + "/" + prefix + "?" + query.Encode(),
		S3:       s3Section{AccessKey: m.AccessKey, SecretKey: m.SecretKey},
		Keys:     []keyEntry{{ID: 1, State: "current", File: key}},
		StateDir: stateDir,
	}
	data, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sealfs-"+filepath.Base(stateDir)+".json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
