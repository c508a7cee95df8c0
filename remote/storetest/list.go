package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sealfs/sealfs/remote"
)

// listingKeys returns about 1200 keys across nested prefixes, with
// siblings that sort around "/" ("a" < "a-c" < "a.x" < "a/" < "a0"), and
// empty directory markers. Every marker names an empty directory.
func listingKeys() []string {
	var keys []string
	tops := []string{"a", "a-b", "a.b", "b"}
	mids := []string{"m0", "m1", "m1-x", "m10", "n"}
	for i := range 1180 {
		keys = append(keys, fmt.Sprintf("t/%s/%s/k%04d", tops[i%len(tops)], mids[(i/len(tops))%len(mids)], i))
	}
	keys = append(keys,
		"t/a-c", "t/a.x", "t/a0", "t/b0", "t/a/direct", "t/a/m1-", "t/a/m1.", "t/a/m10/deep/er/still",
		"t/empty/", "t/a/empty/", "t/a/e/", "u", "u0", "v/x", "zz/top",
	)
	return keys
}

// expectedListing is what List(prefix, recursive) must report for the
// stored keys (which must be sorted), by the Store contract, which is also
// what an S3 listing with delimiter "/" reports.
func expectedListing(keys []string, prefix string, recursive bool) []remote.Entry {
	var want []remote.Entry
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) || k == prefix && strings.HasSuffix(prefix, "/") {
			continue // a directory's own marker is not listed; an object equal to prefix is
		}
		rest := k[len(prefix):]
		if slash := strings.IndexByte(rest, '/'); !recursive && slash >= 0 {
			p := prefix + rest[:slash+1]
			if n := len(want); n == 0 || want[n-1].Key != p {
				want = append(want, remote.Entry{Info: remote.Info{Key: p}, IsPrefix: true})
			}
			continue
		}
		want = append(want, remote.Entry{Info: remote.Info{Key: k}})
	}
	return want
}

// storeAll writes every key (markers empty, objects holding their own
// key as bytes) with a few concurrent writers.
func storeAll(t *testing.T, s remote.Store, keys []string) {
	t.Helper()
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(keys); i += workers {
				var data []byte
				if !strings.HasSuffix(keys[i], "/") {
					data = []byte(keys[i])
				}
				if _, err := put(t.Context(), s, keys[i], data, remote.Condition{}); err != nil {
					errs <- fmt.Errorf("put %q: %w", keys[i], err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// testList stores listingKeys and checks listings of many prefixes.
func testList(t *testing.T, s remote.Store) {
	keys := listingKeys()
	storeAll(t, s, keys)
	slices.Sort(keys)
	prefixes := []string{
		"", "t/", "t/a", "t/a/", "t/a-", "t/a/m1", "t/a/m1/", "t/a/m10/", "t/a/e", "t/empty/", "t/empty",
		"u", "t/b/n/", "missing/", "t/a/missing", "zz/top",
	}
	for _, prefix := range prefixes {
		for _, recursive := range []bool{false, true} {
			want := expectedListing(keys, prefix, recursive)
			got := listAll(t, s, prefix, recursive)
			checkListing(t, prefix, recursive, got, want)
		}
	}
}

// checkListing compares a listing with the expected one: keys, order,
// IsPrefix, and for objects their size and a version.
func checkListing(t *testing.T, prefix string, recursive bool, got, want []remote.Entry) {
	t.Helper()
	gotKeys, wantKeys := entryKeys(got), entryKeys(want)
	if !slices.Equal(gotKeys, wantKeys) {
		t.Errorf("List(%q, recursive=%v):\n got %d %v\nwant %d %v", prefix, recursive,
			len(gotKeys), abbreviate(gotKeys), len(wantKeys), abbreviate(wantKeys))
		return
	}
	for _, e := range got {
		switch {
		case e.IsPrefix: // IsPrefix already compared through entryKeys
		case strings.HasSuffix(e.Key, "/") && e.Size != 0,
			!strings.HasSuffix(e.Key, "/") && e.Size != int64(len(e.Key)),
			e.Version == "":
			t.Errorf("List(%q, recursive=%v): entry %+v has a wrong size or no version", prefix, recursive, e)
		}
	}
}

// entryKeys returns the keys of entries, prefixes marked with a trailing "*".
func entryKeys(entries []remote.Entry) []string {
	keys := make([]string, len(entries))
	for i, e := range entries {
		keys[i] = e.Key
		if e.IsPrefix {
			keys[i] += "*"
		}
	}
	return keys
}

// abbreviate shortens a long key list for an error message.
func abbreviate(keys []string) []string {
	if len(keys) <= 12 {
		return keys
	}
	return append(slices.Clip(keys[:6]), append([]string{"..."}, keys[len(keys)-6:]...)...)
}

// testListStops checks that an error from fn ends the listing and is returned.
func testListStops(t *testing.T, s remote.Store) {
	for i := range 20 {
		mustPut(t, s, fmt.Sprintf("stop/%02d", i), []byte{byte(i)})
	}
	errStop := errors.New("stop here")
	for _, recursive := range []bool{false, true} {
		calls := 0
		err := s.List(t.Context(), "stop/", recursive, func(remote.Entry) error {
			calls++
			if calls == 5 {
				return errStop
			}
			return nil
		})
		if !errors.Is(err, errStop) || calls != 5 {
			t.Errorf("List(recursive=%v) with fn failing at call 5: %d calls, error %v", recursive, calls, err)
		}
	}
}
