package gcs_test

import (
	"crypto/rand"
	"testing"

	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/gcs"
	"github.com/sealfs/sealfs/remote/storetest"
)

// testBucket is the bucket the tests share; each store gets its own prefix.
const testBucket = "sealfs-test"

// newStore returns a store on a fresh random prefix of the test bucket.
func newStore(t testing.TB, server *fakeGCS) *gcs.Store {
	t.Helper()
	s, err := gcs.New(t.Context(), gcs.Config{
		Bucket:       testBucket,
		Prefix:       "t-" + rand.Text(),
		Endpoint:     server.Addr,
		CreateBucket: true,
		SpoolDir:     t.TempDir(),
	})
	if err != nil {
		t.Fatalf("gcs.New: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	server := startFakeGCS(t, memoryBackend)
	storetest.Run(t, func(t *testing.T) remote.Store { return newStore(t, server) })
}
