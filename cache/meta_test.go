package cache

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/sealfs/sealfs/remote"
)

func TestMetaAttrRoundTrip(t *testing.T) {
	m := openTestMeta(t, t.TempDir(), ringA(t))
	mtime := time.Date(2026, 11, 22, 17, 0, 0, 123456789, time.UTC)
	tests := []struct {
		name string
		path string
		attr Attr
	}{
		{"file", "ab/cd/0f1e2d3c", Attr{Size: 4096 + 77, Version: `"etag-1"`, ModTime: mtime}},
		{"directory", "ab/cd", Attr{IsDir: true, ModTime: mtime}},
		{"root", "", Attr{IsDir: true}},
		{"zero mtime empty version", "z", Attr{Size: 1}},
		{"pre-1970 mtime", "old", Attr{Size: 2, ModTime: time.Unix(-86400, 5)}},
		{"unicode path", "dossier/été", Attr{Size: 3, Version: "g:17"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m.Put(tt.path, tt.attr)
			got, res := m.Get(tt.path)
			if res != Hit {
				t.Fatalf("Get(%q) = %v, want hit", tt.path, res)
			}
			if !attrEqual(got, tt.attr) {
				t.Fatalf("Get(%q) = %+v, want %+v", tt.path, got, tt.attr)
			}
		})
	}
	if _, res := m.Get("never/put"); res != Miss {
		t.Fatalf("unknown path: %v, want miss", res)
	}
}

// attrEqual compares attributes, times by instant.
func attrEqual(a, b Attr) bool {
	return a.Size == b.Size && a.Version == b.Version && a.IsDir == b.IsDir && a.ModTime.Equal(b.ModTime)
}

// entriesEqual compares listings, times by instant.
func entriesEqual(a, b []remote.Entry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Key != y.Key || x.Size != y.Size || x.Version != y.Version || x.IsPrefix != y.IsPrefix || !x.ModTime.Equal(y.ModTime) {
			return false
		}
	}
	return true
}

func TestMetaNegativeEntries(t *testing.T) {
	m := openTestMeta(t, t.TempDir(), ringA(t))
	steps := []struct {
		do   func()
		want Lookup
	}{
		{func() {}, Miss},
		{func() { m.PutNegative("x/y") }, Negative},
		{func() { m.Put("x/y", Attr{Size: 9}) }, Hit},
		{func() { m.PutNegative("x/y") }, Negative},
		{func() { m.Forget("x/y") }, Miss},
	}
	for i, s := range steps {
		s.do()
		if _, got := m.Get("x/y"); got != s.want {
			t.Fatalf("step %d: Get = %v, want %v", i, got, s.want)
		}
	}
	if _, got := m.Get("x"); got != Miss {
		t.Fatalf("parent: %v, want miss (negative entries are per path)", got)
	}
}

func TestMetaListings(t *testing.T) {
	m := openTestMeta(t, t.TempDir(), ringA(t))
	mtime := time.Unix(1_800_000_000, 42)
	tests := []struct {
		name    string
		dir     string
		entries []remote.Entry
	}{
		{"mixed", "ab", []remote.Entry{
			{Info: remote.Info{Key: "ab/cd/"}, IsPrefix: true},
			{Info: remote.Info{Key: "ab/file", Size: 100, Version: "v1", ModTime: mtime}},
			{Info: remote.Info{Key: "ab/other", Size: 0, Version: ""}},
		}},
		{"root", "", []remote.Entry{{Info: remote.Info{Key: "ab/"}, IsPrefix: true}}},
		{"empty", "empty", []remote.Entry{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m.PutListing(tt.dir, tt.entries)
			got, ok := m.Listing(tt.dir)
			if !ok {
				t.Fatalf("Listing(%q): not found", tt.dir)
			}
			if !entriesEqual(got, tt.entries) {
				t.Fatalf("Listing(%q) = %+v, want %+v", tt.dir, got, tt.entries)
			}
		})
	}
	if _, ok := m.Listing("never"); ok {
		t.Fatal("listing of an uncached directory found")
	}
	// A listing is not an attribute, nor the reverse.
	if _, res := m.Get("ab"); res != Miss {
		t.Fatalf("Get of listed dir = %v, want miss", res)
	}
}

func TestMetaForget(t *testing.T) {
	tests := []struct {
		name         string
		path         string
		dropListings []string
		keepListings []string
	}{
		{"nested file", "a/b/c", []string{"a/b", "a/b/c"}, []string{"a", ""}},
		{"top-level file", "c", []string{"", "c"}, []string{"a", "a/b"}},
		{"directory", "a/b", []string{"a", "a/b"}, []string{"", "a/b/c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := openTestMeta(t, t.TempDir(), ringA(t))
			for _, d := range []string{"", "a", "a/b", "a/b/c", "c"} {
				m.PutListing(d, []remote.Entry{{Info: remote.Info{Key: d + "/x"}}})
			}
			m.Put(tt.path, Attr{Size: 1})
			m.Put("sibling", Attr{Size: 2})
			m.Forget(tt.path)
			if _, res := m.Get(tt.path); res != Miss {
				t.Errorf("Get(%q) after Forget = %v, want miss", tt.path, res)
			}
			if _, res := m.Get("sibling"); res != Hit {
				t.Errorf("unrelated attr dropped: %v", res)
			}
			for _, d := range tt.dropListings {
				if _, ok := m.Listing(d); ok {
					t.Errorf("listing %q kept, want dropped", d)
				}
			}
			for _, d := range tt.keepListings {
				if _, ok := m.Listing(d); !ok {
					t.Errorf("listing %q dropped, want kept", d)
				}
			}
		})
	}
}

func TestMetaExpiry(t *testing.T) {
	m, err := OpenMeta(t.TempDir(), ringA(t), MetaOptions{AttrTTL: 2 * time.Second, NegativeTTL: time.Second, ListTTL: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	clock := &fakeClock{now: time.Now()}
	m.now = clock.Now
	m.Put("f", Attr{Size: 1})
	m.PutNegative("gone")
	m.PutListing("d", nil)

	steps := []struct {
		advance              time.Duration
		attr, negative, list bool
	}{
		{0, true, true, true},
		{999 * time.Millisecond, true, true, true},
		{time.Millisecond, true, false, true}, // 1s: negative expired
		{999 * time.Millisecond, true, false, true},
		{time.Millisecond, false, false, true}, // 2s: attr expired
		{time.Second, false, false, false},     // 3s: listing expired
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		_, res := m.Get("f")
		if (res == Hit) != s.attr {
			t.Errorf("step %d: attr lookup %v, want hit=%v", i, res, s.attr)
		}
		_, res = m.Get("gone")
		if (res == Negative) != s.negative {
			t.Errorf("step %d: negative lookup %v, want negative=%v", i, res, s.negative)
		}
		if _, ok := m.Listing("d"); ok != s.list {
			t.Errorf("step %d: listing found=%v, want %v", i, ok, s.list)
		}
	}
}

// TestMetaBadgerDropsExpired checks, in real time, that Badger itself stops
// returning an expired entry (its TTL has whole-second granularity).
func TestMetaBadgerDropsExpired(t *testing.T) {
	m, err := OpenMeta(t.TempDir(), ringA(t), MetaOptions{AttrTTL: time.Second, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m.Put("f", Attr{Size: 1})
	if _, res := m.Get("f"); res != Hit {
		t.Fatalf("fresh entry: %v, want hit", res)
	}
	// Badger's expiry is at most 1s (TTL) + 1s (rounding) away.
	time.Sleep(2*time.Second + 100*time.Millisecond)
	if _, res := m.Get("f"); res != Miss {
		t.Fatalf("expired entry: %v, want miss", res)
	}
	err = m.db.View(func(txn *badger.Txn) error {
		_, err := txn.Get(attrKey("f"))
		return err
	})
	if !errors.Is(err, badger.ErrKeyNotFound) {
		t.Fatalf("badger still returns the expired key: %v", err)
	}
}

func TestMetaReopenPersists(t *testing.T) {
	dir := t.TempDir()
	ring := ringA(t)
	m := openTestMeta(t, dir, ring)
	m.Put("a/f", Attr{Size: 5, Version: "v"})
	m.PutNegative("a/none")
	m.PutListing("a", []remote.Entry{{Info: remote.Info{Key: "a/f", Size: 5}}})
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m = openTestMeta(t, dir, ring)
	if got, res := m.Get("a/f"); res != Hit || got.Size != 5 || got.Version != "v" {
		t.Errorf("attr after reopen: %+v %v", got, res)
	}
	if _, res := m.Get("a/none"); res != Negative {
		t.Errorf("negative after reopen: %v", res)
	}
	if got, ok := m.Listing("a"); !ok || len(got) != 1 || got[0].Key != "a/f" {
		t.Errorf("listing after reopen: %+v %v", got, ok)
	}
}

func TestMetaUndecodableValuesAreMisses(t *testing.T) {
	m := openTestMeta(t, t.TempDir(), ringA(t))
	m.Put("f", Attr{Size: 1})
	good := encodeAttr(Attr{Size: 1}, time.Now().Add(time.Hour))
	tests := []struct {
		name  string
		key   []byte
		value []byte
	}{
		{"garbage attr", attrKey("f"), []byte("garbage")},
		{"truncated attr", attrKey("f"), good[:len(good)-1]},
		{"attr with trailing byte", attrKey("f"), append(append([]byte(nil), good...), 0)},
		{"negative value under attr key", attrKey("f"), encodeNegative(time.Now().Add(time.Hour))},
		{"attr value under negative key", negativeKey("f"), good},
		{"garbage listing", listingKey("d"), []byte{valueFormat, kindListing}},
		{"future format", attrKey("f"), append([]byte{valueFormat + 1}, good[1:]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := m.db.Update(func(txn *badger.Txn) error { return txn.Set(tt.key, tt.value) }); err != nil {
				t.Fatal(err)
			}
			if _, res := m.Get("f"); res != Miss {
				t.Errorf("Get = %v, want miss", res)
			}
			if _, ok := m.Listing("d"); ok {
				t.Error("listing found, want miss")
			}
			m.Forget("f")
			m.Forget("d")
		})
	}
}

func TestMetaClosed(t *testing.T) {
	m, err := OpenMeta(t.TempDir(), ringA(t), MetaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m.Put("f", Attr{Size: 1})
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	m.Put("g", Attr{})
	m.PutNegative("g")
	m.PutListing("d", nil)
	m.Forget("f")
	if _, res := m.Get("f"); res != Miss {
		t.Fatalf("Get after Close = %v, want miss", res)
	}
	if _, ok := m.Listing("d"); ok {
		t.Fatal("Listing after Close found")
	}
	for i, b := range m.badgerKey {
		if b != 0 {
			t.Fatalf("badger's copy of the state key not cleared at byte %d", i)
		}
	}
}

func TestMetaDefaults(t *testing.T) {
	m, err := OpenMeta(t.TempDir(), ringA(t), MetaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	want := MetaOptions{AttrTTL: 2 * time.Second, NegativeTTL: time.Second, ListTTL: 2 * time.Second}
	got := m.opts
	got.Logger = nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("defaults = %+v, want %+v", got, want)
	}
}

func TestMetaConcurrent(t *testing.T) {
	m := openTestMeta(t, t.TempDir(), ringA(t))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				p := fmt.Sprintf("d%d/f%d", g, i)
				m.Put(p, Attr{Size: int64(i)})
				if got, res := m.Get(p); res != Hit || got.Size != int64(i) {
					t.Errorf("Get(%q) = %+v %v", p, got, res)
					return
				}
				m.PutListing(fmt.Sprintf("d%d", g), []remote.Entry{{Info: remote.Info{Key: p}}})
				m.Forget(p)
			}
		}()
	}
	wg.Wait()
}

func TestMetaValueLogGC(t *testing.T) {
	m := openTestMeta(t, t.TempDir(), ringA(t))
	m.Put("f", Attr{Size: 1})
	m.runGC() // must not fail nor hang on a store with nothing to collect
	if _, res := m.Get("f"); res != Hit {
		t.Fatalf("after GC: %v, want hit", res)
	}
}

func TestLookupString(t *testing.T) {
	for l, want := range map[Lookup]string{Miss: "miss", Hit: "hit", Negative: "negative", 7: "lookup(7)"} {
		if got := l.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(l), got, want)
		}
	}
}

func TestParentDir(t *testing.T) {
	for in, want := range map[string]string{"a/b/c": "a/b", "a": "", "": "", "a/b/": "a"} {
		if got := parentDir(in); got != want {
			t.Errorf("parentDir(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMetaOpenTwiceFails(t *testing.T) {
	dir := t.TempDir()
	openTestMeta(t, dir, ringA(t))
	m, err := OpenMeta(dir, ringA(t), MetaOptions{})
	if err == nil {
		m.Close()
		t.Fatal("second OpenMeta of a directory in use succeeded")
	}
	if strings.Contains(err.Error(), "delete") {
		t.Fatalf("error suggests deleting a cache in use: %v", err)
	}
}

func TestMetaClear(t *testing.T) {
	m := openTestMeta(t, t.TempDir(), ringA(t))
	m.PutNegative("ab/cd")
	m.Put("ab/ef", Attr{Size: 1})
	if err := m.Clear(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"ab/cd", "ab/ef"} {
		if _, l := m.Get(p); l != Miss {
			t.Errorf("%s after Clear: %v, want a miss", p, l)
		}
	}
}

func TestMetaEditListing(t *testing.T) {
	m, err := OpenMeta(t.TempDir(), ringA(t), MetaOptions{AttrTTL: time.Hour, NegativeTTL: time.Hour, ListTTL: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	clock := &fakeClock{now: time.Now()}
	m.now = clock.Now
	m.PutListing("d", []remote.Entry{
		{Info: remote.Info{Key: "d/a", Size: 1, Version: "v1"}},
		{Info: remote.Info{Key: "d/m/"}, IsPrefix: true},
	})
	clock.Advance(2 * time.Second)
	m.EditListing("d", "d/b", &remote.Entry{Info: remote.Info{Key: "d/b", Size: 2, Version: "v2"}})
	m.EditListing("d", "d/a", &remote.Entry{Info: remote.Info{Key: "d/a", Size: 3, Version: "v3"}})
	m.EditListing("d", "d/m/", nil)
	m.EditListing("d", "d/z/", &remote.Entry{Info: remote.Info{Key: "d/z/"}, IsPrefix: true})
	m.EditListing("never", "never/x", &remote.Entry{Info: remote.Info{Key: "never/x"}})
	want := []remote.Entry{
		{Info: remote.Info{Key: "d/a", Size: 3, Version: "v3"}},
		{Info: remote.Info{Key: "d/b", Size: 2, Version: "v2"}},
		{Info: remote.Info{Key: "d/z/"}, IsPrefix: true},
	}
	if got, ok := m.Listing("d"); !ok || !entriesEqual(got, want) {
		t.Fatalf("Listing after edits = %+v, %v; want %+v", got, ok, want)
	}
	if _, ok := m.Listing("never"); ok {
		t.Fatal("editing an uncached listing created one")
	}
	// An edit does not extend the listing's life: it expires 3 s after the
	// store's answer, not after the edit.
	clock.Advance(time.Second)
	if _, ok := m.Listing("d"); ok {
		t.Fatal("edited listing outlived its TTL")
	}
	m.EditListing("d", "d/c", &remote.Entry{Info: remote.Info{Key: "d/c"}})
	if _, ok := m.Listing("d"); ok {
		t.Fatal("editing an expired listing revived it")
	}
}

func TestMetaPutListingsAndForgetEntry(t *testing.T) {
	m := openTestMeta(t, t.TempDir(), ringA(t))
	m.PutListings(map[string][]remote.Entry{
		"a":   {{Info: remote.Info{Key: "a/b/"}, IsPrefix: true}},
		"a/b": {{Info: remote.Info{Key: "a/b/f", Size: 9, Version: "v"}}},
	})
	for _, d := range []string{"a", "a/b"} {
		if _, ok := m.Listing(d); !ok {
			t.Fatalf("listing %q not stored", d)
		}
	}
	m.Put("a/b", Attr{IsDir: true})
	m.ForgetEntry("a/b")
	if _, res := m.Get("a/b"); res != Miss {
		t.Errorf("Get(a/b) after ForgetEntry = %v, want miss", res)
	}
	if _, ok := m.Listing("a/b"); ok {
		t.Error("own listing kept after ForgetEntry")
	}
	if _, ok := m.Listing("a"); !ok {
		t.Error("parent listing dropped by ForgetEntry")
	}
}

func TestMetaApplyOneTransaction(t *testing.T) {
	m := openTestMeta(t, t.TempDir(), ringA(t))
	m.PutNegative("d/f")
	// One Edit, the way the filesystem records a commit: later changes
	// read what earlier ones wrote (the listing put first is edited).
	m.Apply(func(e *Edit) {
		e.PutListing("d", []remote.Entry{{Info: remote.Info{Key: "d/a"}}})
		e.ForgetEntry("d/f")
		e.Put("d/f", Attr{Size: 7, Version: "v7"})
		e.EditListing("d", "d/f", &remote.Entry{Info: remote.Info{Key: "d/f", Size: 7, Version: "v7"}})
	})
	// Read at once: the commit may still be under way, and must be seen.
	if a, res := m.Get("d/f"); res != Hit || a.Version != "v7" {
		t.Fatalf("Get(d/f) right after Apply = %+v, %v; want v7 hit", a, res)
	}
	want := []remote.Entry{{Info: remote.Info{Key: "d/a"}}, {Info: remote.Info{Key: "d/f", Size: 7, Version: "v7"}}}
	if got, ok := m.Listing("d"); !ok || !entriesEqual(got, want) {
		t.Fatalf("Listing(d) = %+v, %v; want %+v", got, ok, want)
	}
}

func TestMetaApplyReadsOwnWritesUnderLoad(t *testing.T) {
	m := openTestMeta(t, t.TempDir(), ringA(t))
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 200 {
				p := fmt.Sprintf("w%d/f%d", w, i)
				m.Put(p, Attr{Size: int64(i), Version: p})
				if a, res := m.Get(p); res != Hit || a.Version != p {
					t.Errorf("Get(%s) right after Put = %+v, %v", p, a, res)
					return
				}
				m.PutNegative(p)
				if _, res := m.Get(p); res != Negative {
					t.Errorf("Get(%s) right after PutNegative = %v", p, res)
					return
				}
			}
		})
	}
	wg.Wait()
}
