package s3

import (
	"bytes"
	crand "crypto/rand"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/storetest"
)

// testBucket is the bucket the tests create on their MinIO.
const testBucket = "sealfs-test"

// newTestStore opens a store on m's test bucket under a fresh prefix, so
// that it starts empty.
func newTestStore(t testing.TB, m *minioServer) *Store {
	t.Helper()
	cfg := m.config(t, testBucket, "run-"+strings.ToLower(crand.Text()[:12]))
	cfg.CreateBucket = true
	s, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// TestConformance runs the conformance suite with a fresh prefix in one
// bucket for each store, and (without -short) with a fresh bucket and no
// prefix.
func TestConformance(t *testing.T) {
	m := startMinIO(t)
	t.Run("prefix", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) remote.Store { return newTestStore(t, m) })
	})
	t.Run("bucket-root", func(t *testing.T) {
		if testing.Short() {
			t.Skip("second configuration skipped in -short mode")
		}
		storetest.Run(t, func(t *testing.T) remote.Store {
			cfg := m.config(t, "root-"+strings.ToLower(crand.Text()[:12]), "")
			cfg.CreateBucket = true
			s, err := New(t.Context(), cfg)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			return s
		})
	})
}

// TestConfigHidesSecret checks that printing or logging a Config does not
// show the secret key.
func TestConfigHidesSecret(t *testing.T) {
	const secret = "very-secret-key"
	cfg := Config{Bucket: "b", AccessKey: "AKID", SecretKey: secret}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "cfg", cfg)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "cfg", cfg)
	for _, out := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", &cfg), logged.String()} {
		if strings.Contains(out, secret) {
			t.Errorf("secret shown in %q", out)
		}
		if !strings.Contains(out, "AKID") {
			t.Errorf("access key missing from %q", out)
		}
	}
}
