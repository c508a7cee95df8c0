package s3

import (
	"bytes"
	crand "crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sealfs/sealfs/remote"
)

// newStreamingStore opens a store whose uploads go multipart above one
// minimal part, through a proxy that records requests in log (if not nil).
func newStreamingStore(t *testing.T, m *minioServer, log *requestLog) *Store {
	t.Helper()
	cfg := m.config(t, testBucket, "stream-"+strings.ToLower(crand.Text()[:12]))
	cfg.CreateBucket = true
	if log != nil {
		cfg.Endpoint = countingProxy(t, m, log)
	}
	s, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	s.singlePutMax, s.partSize = minPartSize, minPartSize
	s.partAcked = make(chan struct{}, 1)
	return s
}

// randomBytes returns n random bytes.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	crand.Read(b)
	return b
}

// writeInPieces writes data to up in 1 MiB writes, as the filesystem does.
func writeInPieces(t *testing.T, up remote.Upload, data []byte) {
	t.Helper()
	for off := 0; off < len(data); off += 1 << 20 {
		if _, err := up.Write(data[off:min(off+1<<20, len(data))]); err != nil {
			t.Fatalf("Write at %d: %v", off, err)
		}
	}
}

// multipartUploads returns the ids of the multipart uploads to key (MinIO
// lists the uploads of one object name, not of a prefix).
func multipartUploads(t *testing.T, s *Store, key string) []string {
	t.Helper()
	out, err := s.client.ListMultipartUploads(t.Context(), &awss3.ListMultipartUploadsInput{
		Bucket: &s.bucket, Prefix: aws.String(s.objectKey(key)),
	})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	var ids []string
	for _, u := range out.Uploads {
		ids = append(ids, aws.ToString(u.UploadId))
	}
	return ids
}

// waitForParts waits until want parts of up were sent in the background
// and acknowledged to the store, and returns the multipart upload's id.
// It waits for the store to record each answer (through s.partAcked), not
// for the parts to show on the server: a part the server holds but whose
// answer the store has not read yet would be sent again by Commit if the
// server stopped meanwhile. The deadline is a failsafe, not a delay.
func waitForParts(t *testing.T, s *Store, up remote.Upload, want int) string {
	t.Helper()
	stream := up.(*upload).stream
	if stream == nil {
		t.Fatal("the upload streams no parts")
	}
	failsafe := time.NewTimer(2 * time.Minute)
	defer failsafe.Stop()
	for {
		n, id := stream.acked()
		if n >= want {
			return aws.ToString(id)
		}
		select {
		case <-s.partAcked:
		case <-failsafe.C:
			t.Fatalf("%d of %d parts acknowledged after 2 minutes", n, want)
		}
	}
}

// countRequests counts the requests in reqs whose query contains what.
func countRequests(reqs []string, what string) int {
	n := 0
	for _, r := range reqs {
		if strings.Contains(r, what) {
			n++
		}
	}
	return n
}

// TestPartsSentBeforeCommit checks that the full parts of a large object
// reach the server while it is still being written, and that Commit then
// sends only the tail and the completion.
func TestPartsSentBeforeCommit(t *testing.T) {
	m := startMinIO(t)
	var log requestLog
	s := newStreamingStore(t, m, &log)
	defer s.Close()
	data := randomBytes(3*minPartSize + 12345)
	up, err := s.Create(t.Context(), "stream/obj")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	defer up.Abort()
	writeInPieces(t, up, data)
	waitForParts(t, s, up, 3)
	log.take()
	info, err := up.Commit(t.Context(), remote.Condition{IfAbsent: true})
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	reqs := log.take()
	if parts := countRequests(reqs, "x-id=UploadPart"); parts != 1 {
		t.Errorf("Commit sent %d parts (%q), want only the tail", parts, reqs)
	}
	if info.Size != int64(len(data)) || !strings.HasSuffix(strings.Trim(info.Version, `"`), "-4") {
		t.Errorf("Commit Info %+v, want %d bytes in 4 parts", info, len(data))
	}
	if got := mustRead(t, s, "stream/obj"); !bytes.Equal(got, data) {
		t.Fatal("read back different bytes")
	}
	if ids := multipartUploads(t, s, "stream/obj"); len(ids) != 0 {
		t.Fatalf("multipart uploads left behind: %q", ids)
	}
}

// TestStreamedSizes checks objects ending exactly on, just before and just
// after part boundaries, and ReadAt of an upload whose parts were sent.
func TestStreamedSizes(t *testing.T) {
	m := startMinIO(t)
	s := newStreamingStore(t, m, nil)
	defer s.Close()
	for _, size := range []int{minPartSize, minPartSize + 1, 2 * minPartSize, 3*minPartSize - 1} {
		data := randomBytes(size)
		up, err := s.Create(t.Context(), "sizes/obj")
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		writeInPieces(t, up, data)
		back := make([]byte, 100)
		if _, err := up.ReadAt(back, int64(size-100)); err != nil || !bytes.Equal(back, data[size-100:]) {
			t.Fatalf("%d bytes: ReadAt of the upload: %v", size, err)
		}
		if _, err := up.Commit(t.Context(), remote.Condition{}); err != nil {
			t.Fatalf("%d bytes: Commit: %v", size, err)
		}
		if got := mustRead(t, s, "sizes/obj"); !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: read back different bytes", size)
		}
	}
	if ids := multipartUploads(t, s, "sizes/obj"); len(ids) != 0 {
		t.Fatalf("multipart uploads left behind: %q", ids)
	}
}

// TestAbortLeavesNoParts checks that Abort, and Close of the store with an
// upload still open, discard the parts sent in the background.
func TestAbortLeavesNoParts(t *testing.T) {
	m := startMinIO(t)
	s := newStreamingStore(t, m, nil)
	up, err := s.Create(t.Context(), "abort/obj")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	writeInPieces(t, up, randomBytes(2*minPartSize+1))
	waitForParts(t, s, up, 2)
	if err := up.Abort(); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	if ids := multipartUploads(t, s, "abort/obj"); len(ids) != 0 {
		t.Fatalf("Abort left multipart uploads behind: %q", ids)
	}
	if _, err := up.Commit(t.Context(), remote.Condition{}); err == nil {
		t.Fatal("Commit after Abort succeeded")
	}

	forgotten, err := s.Create(t.Context(), "abort/forgotten")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	writeInPieces(t, forgotten, randomBytes(2*minPartSize+1))
	waitForParts(t, s, forgotten, 2)
	s.Close()
	other := newStreamingStore(t, m, nil)
	defer other.Close()
	other.prefix = s.prefix
	if ids := multipartUploads(t, other, "abort/forgotten"); len(ids) != 0 {
		t.Fatalf("Close left multipart uploads behind: %q", ids)
	}
}

// TestStreamedCommitRetried checks that a Commit that failed as
// unavailable (server down after the parts were sent) succeeds when
// called again, without sending those parts again. The answers to parts
// come late, and are lost if the server stops before they are delivered,
// as when MinIO is killed between storing a part and answering: waiting
// for the parts to show on the server, not for the store to hear of
// them, failed here ("Commit again sent 3 parts") every time.
func TestStreamedCommitRetried(t *testing.T) {
	m := startMinIO(t)
	log := requestLog{lateParts: 300 * time.Millisecond}
	s := newStreamingStore(t, m, &log)
	defer s.Close()
	data := randomBytes(2*minPartSize + 999)
	up, err := s.Create(t.Context(), "retry/obj")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	defer up.Abort()
	writeInPieces(t, up, data)
	waitForParts(t, s, up, 2)
	m.stop(t)
	if _, err := up.Commit(t.Context(), remote.Condition{IfAbsent: true}); !errors.Is(err, remote.ErrUnavailable) {
		t.Fatalf("Commit with the server down: got %v, want ErrUnavailable", err)
	}
	m.start(t)
	log.take()
	info, err := up.Commit(t.Context(), remote.Condition{IfAbsent: true})
	if err != nil {
		t.Fatalf("Commit again: %v", err)
	}
	if parts := countRequests(log.take(), "x-id=UploadPart"); parts != 1 {
		t.Errorf("Commit again sent %d parts, want only the tail", parts)
	}
	if info.Size != int64(len(data)) {
		t.Errorf("Commit Info %+v", info)
	}
	if got := mustRead(t, s, "retry/obj"); !bytes.Equal(got, data) {
		t.Fatal("read back different bytes")
	}
	if ids := multipartUploads(t, s, "retry/obj"); len(ids) != 0 {
		t.Fatalf("multipart uploads left behind: %q", ids)
	}
}

// TestStreamedUploadAbortedUnderneath checks that Commit starts over when
// the multipart upload its parts went to was aborted by someone else, and
// that a refused condition leaves no parts behind.
func TestStreamedUploadAbortedUnderneath(t *testing.T) {
	m := startMinIO(t)
	s := newStreamingStore(t, m, nil)
	defer s.Close()
	data := randomBytes(2*minPartSize + 7)
	up, err := s.Create(t.Context(), "gone/obj")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	defer up.Abort()
	writeInPieces(t, up, data)
	id := waitForParts(t, s, up, 2)
	if _, err := s.client.AbortMultipartUpload(t.Context(), &awss3.AbortMultipartUploadInput{
		Bucket: &s.bucket, Key: aws.String(s.objectKey("gone/obj")), UploadId: &id,
	}); err != nil {
		t.Fatalf("AbortMultipartUpload: %v", err)
	}
	if _, err := up.Commit(t.Context(), remote.Condition{IfAbsent: true}); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if got := mustRead(t, s, "gone/obj"); !bytes.Equal(got, data) {
		t.Fatal("read back different bytes")
	}

	again, err := s.Create(t.Context(), "gone/obj")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	writeInPieces(t, again, data)
	waitForParts(t, s, again, 2)
	if _, err := again.Commit(t.Context(), remote.Condition{IfAbsent: true}); !errors.Is(err, remote.ErrPreconditionFailed) {
		t.Fatalf("Commit IfAbsent on an existing key: got %v, want ErrPreconditionFailed", err)
	}
	if ids := multipartUploads(t, s, "gone/obj"); len(ids) != 0 {
		t.Fatalf("refused Commit left multipart uploads behind: %q", ids)
	}
}
