package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/sealfs/sealfs/remote"
)

// writers is the number of concurrent uploads in the concurrency tests.
const writers = 16

// testConcurrentKeys uploads different keys at once.
func testConcurrentKeys(t *testing.T, s remote.Store) {
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			key := fmt.Sprintf("conc/%02d/obj", i)
			if _, err := put(t.Context(), s, key, pattern(uint64(i), 100<<10+i), remote.Condition{IfAbsent: true}); err != nil {
				t.Errorf("put %q: %v", key, err)
			}
		})
	}
	wg.Wait()
	for i := range writers {
		wantContent(t, s, fmt.Sprintf("conc/%02d/obj", i), pattern(uint64(i), 100<<10+i))
	}
}

// testConcurrentSameKey races uploads to one key: with IfAbsent exactly
// one wins; unconditionally the last one wins whole.
func testConcurrentSameKey(t *testing.T, s remote.Store) {
	for _, cond := range []remote.Condition{{IfAbsent: true}, {}} {
		key := fmt.Sprintf("same/ifabsent-%v", cond.IfAbsent)
		var wg sync.WaitGroup
		errs := make([]error, writers)
		for i := range writers {
			wg.Go(func() {
				_, errs[i] = put(t.Context(), s, key, pattern(uint64(i), 64<<10), cond)
			})
		}
		wg.Wait()
		winners := 0
		for i, err := range errs {
			switch {
			case err == nil:
				winners++
			case !cond.IfAbsent || !errors.Is(err, remote.ErrPreconditionFailed):
				t.Errorf("%s: writer %d: %v", key, i, err)
			}
		}
		if cond.IfAbsent && winners != 1 {
			t.Errorf("%s: %d writers succeeded, want exactly 1", key, winners)
		}
		got := mustRead(t, s, key)
		found := false
		for i, err := range errs {
			if err == nil && bytes.Equal(got, pattern(uint64(i), 64<<10)) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: final content (%d bytes) is no successful writer's", key, len(got))
		}
	}
}
