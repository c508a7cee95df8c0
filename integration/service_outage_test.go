package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealfs/sealfs/integration/testenv"
	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/s3"
)

// createTestBucket creates bucket on MinIO once it answers S3 calls.
func createTestBucket(t *testing.T, m *testenv.MinIO, bucket string) {
	t.Helper()
	var err error
	for range 100 {
		var s *s3.Store
		s, err = s3.New(context.Background(), s3.Config{Bucket: bucket, Endpoint: m.Endpoint, AccessKey: m.AccessKey, SecretKey: m.SecretKey,
			PathStyle: true, CreateBucket: true, SpoolDir: t.TempDir(), RequestTimeout: 2 * time.Second})
		if err == nil {
			s.Close()
			return
		}
		if !errors.Is(err, remote.ErrUnavailable) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("MinIO does not serve bucket %s: %v", bucket, err)
}

// While the store is down, a write-back mount keeps accepting files, and
// the queue and the age of its oldest change show in the metrics and in
// sealfs status; they fall back to zero once the store is back.
func TestMetricsDuringOutage(t *testing.T) {
	requireFUSE(t)
	m := testenv.StartMinIO(t)
	createTestBucket(t, m, "sealfs")
	key, _, state, mnt := serviceDirs(t)
	port := freePort(t)
	metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	query := url.Values{"endpoint": {m.Endpoint}, "path-style": {"true"}}
	conf := map[string]any{
		"store":          "s3://sealfs/vol?" + query.Encode(),
		"s3":             map[string]any{"access_key": m.AccessKey, "secret_key": m.SecretKey, "request_timeout_seconds": 2},
		"keys":           []map[string]any{{"id": 1, "state": "current", "file": key}},
		"state_dir":      state,
		"mountpoint":     mnt,
		"write_back":     true,
		"metrics_listen": fmt.Sprintf("127.0.0.1:%d", port),
	}
	data, _ := json.Marshal(conf)
	confPath := filepath.Join(t.TempDir(), "sealfs.json")
	if err := os.WriteFile(confPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd := exec.Command(testenv.SealfsBinary(t), "mount", "--foreground", "--config", confPath)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer testenv.Unmount(mnt)
	waitMounted(t, mnt)

	waitMetric := func(what string, ok func(map[string]float64) bool) map[string]float64 {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for {
			mm, body := scrape(t, metricsURL)
			if ok(mm) {
				return mm
			}
			if time.Now().After(deadline) {
				t.Fatalf("metrics never showed %s:\n%s\nlog:\n%s", what, body, stderr.String())
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	if err := os.Mkdir(filepath.Join(mnt, "ab"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mnt, "ab", "before"), []byte("before the outage"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitMetric("an empty queue", func(mm map[string]float64) bool { return mm["sealfs_writeback_queued"] == 0 })

	m.Kill()
	start := time.Now()
	for i := range 3 {
		if err := os.WriteFile(filepath.Join(mnt, "ab", fmt.Sprintf("during-%d", i)), []byte("written while the store is down"), 0o644); err != nil {
			t.Fatalf("write-back write %d while the store is down: %v\n%s", i, err, stderr.String())
		}
	}
	t.Logf("3 files accepted in %v with the store down", time.Since(start).Round(time.Millisecond))
	time.Sleep(1500 * time.Millisecond)
	mm := waitMetric("3 queued changes over a second old", func(mm map[string]float64) bool {
		return mm["sealfs_writeback_queued"] == 3 && mm["sealfs_writeback_oldest_age_seconds"] >= 1
	})
	if errs := sumPrefix(mm, "sealfs_store_errors_total{"); errs == 0 {
		t.Error("store errors not counted during the outage")
	}
	if retries := sumPrefix(mm, "sealfs_store_retries_total{"); retries == 0 {
		t.Error("store retries not counted during the outage")
	}
	out, err := sealfs(t, nil, "status", "--config", confPath)
	if err != nil || !strings.Contains(out, "write-back:   3 pending upload(s), oldest acknowledged") {
		t.Errorf("status during the outage: %v\n%s", err, out)
	}
	t.Logf("sealfs status during the outage:\n%s", out)

	m.Restart(t)
	start = time.Now()
	waitMetric("the queue drained", func(mm map[string]float64) bool {
		return mm["sealfs_writeback_queued"] == 0 && mm["sealfs_writeback_oldest_age_seconds"] == 0
	})
	t.Logf("queue drained %v after the store came back", time.Since(start).Round(time.Millisecond))
	stopForeground(t, cmd, stderr.String)
}

func sumPrefix(m map[string]float64, prefix string) float64 {
	var n float64
	for k, v := range m {
		if strings.HasPrefix(k, prefix) {
			n += v
		}
	}
	return n
}
