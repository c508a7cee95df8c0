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

// testBlocksStagedWhileWriting checks that the full blocks of a large
// object are staged while it is still written, that Commit then stages
// only the tail, at block boundaries too, and that conditions still hold.
func testBlocksStagedWhileWriting(t *testing.T, endpoint string) {
	s := newTestStore(t, endpoint, nil)
	defer s.Close()
	const block = 1 << 20
	s.singlePutMax, s.blockSize = block, block
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
		deadline := time.Now().Add(30 * time.Second)
		for uncommitted("stream/obj") < full {
			if time.Now().After(deadline) {
				t.Fatalf("%d bytes: %d of %d full blocks staged before Commit after 30 s", size, uncommitted("stream/obj"), full)
			}
			time.Sleep(20 * time.Millisecond)
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
