package faults

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// inflight is a file that Orthanc has created and written (into the page
// cache) but not yet fdatasynced when the store fails.
type inflight struct {
	f    *os.File
	rel  string
	data []byte
}

// startInflight creates and writes a new attachment through root, without
// syncing it.
func startInflight(t *testing.T, root string) *inflight {
	t.Helper()
	rel, data := newAttachment(attachmentSize(7))
	path := filepath.Join(root, rel)
	var f *os.File
	err := within(t, "create "+rel, func() (err error) {
		if err = os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	in := &inflight{f: f, rel: rel, data: data}
	t.Cleanup(func() { in.f.Close() })
	for off := 0; off < len(data); off += writeSize {
		if _, err := f.Write(data[off:min(off+writeSize, len(data))]); err != nil {
			t.Fatalf("write %s: %v", rel, err)
		}
	}
	return in
}

// mustFailToSync fdatasyncs and closes the file while the store fails:
// both must return an error (close included: data that fdatasync could
// not store must not be reported stored by close).
func (in *inflight) mustFailToSync(t *testing.T, r *rig) {
	t.Helper()
	before := r.logs.count(retryMessage)
	start := time.Now()
	err := within(t, "fdatasync "+in.rel, func() error { return unix.Fdatasync(int(in.f.Fd())) })
	took := time.Since(start)
	cerr := within(t, "close "+in.rel, in.f.Close)
	t.Logf("in-flight file: fdatasync returned %v after %v, close returned %v; %d retries logged",
		err, took.Round(time.Millisecond), cerr, r.logs.count(retryMessage)-before)
	if err == nil {
		t.Errorf("fdatasync of %s succeeded while the store was failing", in.rel)
	}
	if cerr == nil {
		t.Errorf("close of %s succeeded after its fdatasync failed", in.rel)
	}
}

// mustFailToStat checks that looking up a stored file fails (rather than
// hanging, or answering from a stale cache) while the store fails, and
// so does reading it.
func mustFailToStat(t *testing.T, r *rig, o outcome) {
	t.Helper()
	path := filepath.Join(r.mount.dir, o.rel)
	start := time.Now()
	err := within(t, "stat "+o.rel, func() error { _, err := os.Stat(path); return err })
	statTook := time.Since(start)
	start = time.Now()
	rerr := within(t, "read "+o.rel, func() error { _, err := os.ReadFile(path); return err })
	t.Logf("existing file: stat returned %v after %v; read returned %v after %v",
		err, statTook.Round(time.Millisecond), rerr, time.Since(start).Round(time.Millisecond))
	if err == nil {
		t.Errorf("stat of %s succeeded while the store was failing", o.rel)
	}
	if rerr == nil {
		t.Errorf("read of %s succeeded while the store was failing", o.rel)
	}
}
