package azure

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"

	"github.com/sealfs/sealfs/remote"
)

// waitForBlocks waits until want blocks of up were staged in the
// background and acknowledged to the store (through s.blockStaged). The
// deadline is a failsafe, not a delay.
func waitForBlocks(t *testing.T, s *Store, up remote.Upload, want int) {
	t.Helper()
	stream := up.(*spoolUpload).stream
	if stream == nil {
		t.Fatal("the upload stages no blocks")
	}
	failsafe := time.NewTimer(2 * time.Minute)
	defer failsafe.Stop()
	for {
		n := stream.stagedCount()
		if n >= want {
			return
		}
		select {
		case <-s.blockStaged:
		case <-failsafe.C:
			t.Fatalf("%d of %d blocks staged after 2 minutes", n, want)
		}
	}
}

// testBlocksStagedWhileWriting checks that the full blocks of a large
// object are staged while it is still written, that Commit then stages
// only the tail, at block boundaries too, and that conditions still hold.
func testBlocksStagedWhileWriting(t *testing.T, endpoint string) {
	s := newTestStore(t, endpoint, nil)
	defer s.Close()
	const block = 1 << 20
	s.singlePutMax, s.blockSize = block, block
	s.blockStaged = make(chan struct{}, 1)
	uncommitted := func(key string) int {
		name, _, err := s.begin(t.Context(), "test", key)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := s.blob(name).GetBlockList(t.Context(), blockblob.BlockListTypeUncommitted, nil)
		if err != nil {
			return 0 // no block yet: the blob does not exist
		}
		return len(resp.UncommittedBlocks)
	}
	for _, size := range []int{3*block + 100, 2 * block, block + 1} {
		data := make([]byte, size)
		rand.Read(data)
		up, err := s.Create(t.Context(), "stream/obj")
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		for off := 0; off < size; off += 256 << 10 {
			if _, err := up.Write(data[off:min(off+256<<10, size)]); err != nil {
				t.Fatalf("Write: %v", err)
			}
		}
		full := size / block // every full block, the last one too
		waitForBlocks(t, s, up, full)
		if got := uncommitted("stream/obj"); got != full {
			t.Fatalf("%d bytes: the service holds %d uncommitted blocks once %d were acknowledged", size, got, full)
		}
		if _, err := up.Commit(t.Context(), remote.Condition{}); err != nil {
			t.Fatalf("%d bytes: Commit: %v", size, err)
		}
		if got := read(t, s, "stream/obj"); !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: read back different bytes", size)
		}
	}
	data := make([]byte, 2*block+5)
	up, err := s.Create(t.Context(), "stream/obj")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := up.Write(data); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if _, err := up.Commit(t.Context(), remote.Condition{IfAbsent: true}); !errors.Is(err, remote.ErrPreconditionFailed) {
		t.Fatalf("streamed Commit IfAbsent over an object: got %v, want ErrPreconditionFailed", err)
	}
	aborted, err := s.Create(t.Context(), "stream/aborted")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := aborted.Write(data); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := aborted.Abort(); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	if _, err := s.Stat(t.Context(), "stream/aborted"); !errors.Is(err, remote.ErrNotFound) {
		t.Fatalf("Stat of an aborted streamed upload: %v, want ErrNotFound", err)
	}
}
