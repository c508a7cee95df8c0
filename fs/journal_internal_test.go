package fs

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sealfs/sealfs/envelope/staging"
	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/remote"
)

func TestCondCodeRoundTrip(t *testing.T) {
	for _, c := range []remote.Condition{{}, {IfAbsent: true}, {IfMatch: `"9b2cf535f27731c974343645a3985328"`}, {IfMatch: "1733572800123456"}} {
		got, err := parseCond(condCode(c))
		if err != nil || got != c {
			t.Errorf("parseCond(condCode(%+v)) = %+v, %v", c, got, err)
		}
	}
	for _, bad := range []string{"", "v", "v!!", "old", "NEW"} {
		if _, err := parseCond(bad); err == nil {
			t.Errorf("parseCond(%q) accepted", bad)
		}
	}
}

func TestDecodeRecord(t *testing.T) {
	data := "00000000000000000007.new.put"
	cases := []struct {
		name, raw string
		ok        bool
	}{
		{"delete", `{"ops":[{"op":"delete","path":"a/b"}]}`, true},
		{"rename", `{"ops":[{"op":"put","path":"a/c","data":"` + data + `","cond":"any"},{"op":"delete","path":"a/b"}]}`, true},
		{"empty", `{"ops":[]}`, false},
		{"not json", `{"ops":`, false},
		{"unknown field", `{"ops":[{"op":"delete","path":"a","x":1}]}`, false},
		{"unknown op", `{"ops":[{"op":"chmod","path":"a"}]}`, false},
		{"absolute path", `{"ops":[{"op":"delete","path":"/etc/passwd"}]}`, false},
		{"dot dot", `{"ops":[{"op":"delete","path":"a/../../x"}]}`, false},
		{"trailing slash", `{"ops":[{"op":"delete","path":"a/"}]}`, false},
		{"nul", `{"ops":[{"op":"delete","path":"a\u0000b"}]}`, false},
		{"data outside", `{"ops":[{"op":"put","path":"a","data":"../x.put","cond":"any"}]}`, false},
		{"bad cond", `{"ops":[{"op":"put","path":"a","data":"` + data + `","cond":"maybe"}]}`, false},
		{"delete with data", `{"ops":[{"op":"delete","path":"a","data":"` + data + `"}]}`, false},
		{"too long", `{"ops":[{"op":"delete","path":"` + strings.Repeat("a", maxRecord) + `"}]}`, false},
	}
	for _, c := range cases {
		_, err := decodeRecord([]byte(c.raw))
		if (err == nil) != c.ok {
			t.Errorf("%s: decodeRecord error %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add([]byte(`{"ops":[{"op":"delete","path":"a/b"}]}`))
	f.Add([]byte(`{"ops":[{"op":"put","path":"a/c","data":"00000000000000000007.new.put","cond":"vYWJj"},{"op":"delete","path":"a/b"}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		ops, err := decodeRecord(raw)
		if err != nil {
			return
		}
		for _, op := range ops {
			if op.Path == "" || strings.HasPrefix(op.Path, "/") || strings.Contains("/"+op.Path+"/", "/../") {
				t.Fatalf("accepted path %q", op.Path)
			}
			if op.Op == "put" && (strings.Contains(op.Data, "/") || !strings.HasSuffix(op.Data, ".put")) {
				t.Fatalf("accepted data name %q", op.Data)
			}
		}
	})
}

// journalDir writes journal files as a crashed mount leaves them.
type journalDir struct {
	t      *testing.T
	dir    string
	ring   *keyring.Keyring
	volume [16]byte
}

func newJournalDir(t *testing.T) *journalDir {
	kek, err := keyring.NewKEK(1, keyring.Current, bytes.Repeat([]byte{7}, 32), "test")
	if err != nil {
		t.Fatal(err)
	}
	ring, err := keyring.New(nil, kek)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ring.Close() })
	return &journalDir{t: t, dir: t.TempDir(), ring: ring, volume: [16]byte{1, 2, 3}}
}

// put writes a data file: content staged for path, acknowledged at seq.
func (d *journalDir) put(seq uint64, path, content string, cond remote.Condition) string {
	name := dataName(seq, cond)
	f, err := os.OpenFile(filepath.Join(d.dir, name), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		d.t.Fatal(err)
	}
	sf, err := staging.Create(f, d.ring, d.volume, path, 4096)
	if err != nil {
		d.t.Fatal(err)
	}
	if _, err := sf.WriteAt([]byte(content), 0); err != nil {
		d.t.Fatal(err)
	}
	if err := sf.Sync(); err != nil {
		d.t.Fatal(err)
	}
	sf.Close()
	return name
}

// record writes a record file of ops at seq.
func (d *journalDir) record(seq uint64, ops ...journalOp) {
	raw, _ := json.Marshal(journalFile{Ops: ops})
	if err := os.WriteFile(filepath.Join(d.dir, fmtSeq(seq)+".rec"), raw, 0o600); err != nil {
		d.t.Fatal(err)
	}
}

func fmtSeq(seq uint64) string { return dataName(seq, remote.Condition{})[:20] }

// load folds the directory and returns path → content ("" for deleted)
// and the files left in the directory.
func (d *journalDir) load() (map[string]string, []string) {
	j := newJournal(d.dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := j.load(d.ring, d.volume); err != nil {
		d.t.Fatal(err)
	}
	got := map[string]string{}
	for p, st := range j.states {
		if st.data == nil {
			got[p] = ""
			continue
		}
		buf := make([]byte, st.data.stage.file.Size())
		if _, err := st.data.stage.file.ReadAt(buf, 0); err != nil && err != io.EOF {
			d.t.Fatal(err)
		}
		got[p] = string(buf)
	}
	entries, _ := os.ReadDir(d.dir)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	sort.Strings(left)
	j.mu.Lock()
	for _, st := range j.states {
		j.drop(st)
	}
	j.mu.Unlock()
	return got, left
}

// Replay folds the journal in acknowledgement order: a later unlink,
// rename or rewrite of a path always wins over an earlier upload of it.
func TestJournalLoadFolds(t *testing.T) {
	any := remote.Condition{}
	t.Run("rewrite then unlink", func(t *testing.T) {
		d := newJournalDir(t)
		d.put(1, "x/a", "v1", any)
		d.put(2, "x/a", "v2", any)
		d.record(3, journalOp{Op: "delete", Path: "x/a"})
		got, left := d.load()
		if len(got) != 1 || got["x/a"] != "" {
			t.Errorf("states %v, want x/a deleted", got)
		}
		if len(left) != 1 || !strings.HasSuffix(left[0], ".rec") {
			t.Errorf("left %v, want only the delete record", left)
		}
	})
	t.Run("rename of a pending file", func(t *testing.T) {
		d := newJournalDir(t)
		name := d.put(1, "x/a", "content", any)
		d.record(2, journalOp{Op: "put", Path: "x/b", Data: name, Cond: "new"}, journalOp{Op: "delete", Path: "x/a"})
		got, _ := d.load()
		if len(got) != 2 || got["x/b"] != "content" || got["x/a"] != "" {
			t.Errorf("states %v, want x/b = content and x/a deleted", got)
		}
	})
	t.Run("rename over a pending file", func(t *testing.T) {
		d := newJournalDir(t)
		a := d.put(1, "x/a", "A", any)
		d.put(2, "x/b", "B", any)
		d.record(3, journalOp{Op: "put", Path: "x/b", Data: a, Cond: "any"}, journalOp{Op: "delete", Path: "x/a"})
		got, left := d.load()
		if len(got) != 2 || got["x/b"] != "A" || got["x/a"] != "" {
			t.Errorf("states %v, want x/b = A and x/a deleted", got)
		}
		for _, name := range left {
			if strings.HasPrefix(name, fmtSeq(2)) {
				t.Errorf("the replaced version %s was kept", name)
			}
		}
	})
	t.Run("unlink then create again", func(t *testing.T) {
		d := newJournalDir(t)
		d.put(1, "x/a", "old", any)
		d.record(2, journalOp{Op: "delete", Path: "x/a"})
		d.put(3, "x/a", "new", remote.Condition{IfAbsent: true})
		got, left := d.load()
		if got["x/a"] != "new" {
			t.Errorf("x/a = %q, want new", got["x/a"])
		}
		if len(left) != 1 {
			t.Errorf("left %v, want only the new version", left)
		}
	})
	t.Run("record naming data never acknowledged", func(t *testing.T) {
		d := newJournalDir(t)
		d.record(1, journalOp{Op: "put", Path: "x/b", Data: dataName(1, any), Cond: "any"})
		got, left := d.load()
		if len(got) != 0 || len(left) != 0 {
			t.Errorf("states %v, left %v; want nothing", got, left)
		}
	})
	t.Run("rename chain", func(t *testing.T) {
		d := newJournalDir(t)
		name := d.put(1, "a", "c", any)
		d.record(2, journalOp{Op: "put", Path: "b", Data: name, Cond: "any"}, journalOp{Op: "delete", Path: "a"})
		d.record(3, journalOp{Op: "put", Path: "c", Data: name, Cond: "any"}, journalOp{Op: "delete", Path: "b"})
		got, _ := d.load()
		if len(got) != 3 || got["c"] != "c" || got["a"] != "" || got["b"] != "" {
			t.Errorf("states %v, want c = c, a and b deleted", got)
		}
	})
}

// A journal file that names a key the ring lacks stops the mount and is kept.
func TestJournalLoadUnknownKey(t *testing.T) {
	d := newJournalDir(t)
	name := d.put(1, "x/a", "v1", remote.Condition{})
	other, _ := keyring.NewKEK(9, keyring.Current, bytes.Repeat([]byte{9}, 32), "other")
	ring, _ := keyring.New(nil, other)
	defer ring.Close()
	j := newJournal(d.dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	err := j.load(ring, d.volume)
	if err == nil || !strings.Contains(err.Error(), "load that key") {
		t.Fatalf("load with an unknown key: %v", err)
	}
	if _, serr := os.Stat(filepath.Join(d.dir, name)); serr != nil {
		t.Fatalf("the journal file is gone: %v", serr)
	}
}

// A rename of a stored file that a crash interrupted is finished by the
// next mount: the new name gets the old one's object, the old is deleted.
func TestJournalLoadMove(t *testing.T) {
	d := newJournalDir(t)
	d.record(1, journalOp{Op: "move", Path: "x/b", From: "x/a"})
	j := newJournal(d.dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := j.load(d.ring, d.volume); err != nil {
		t.Fatal(err)
	}
	to, from := j.states["x/b"], j.states["x/a"]
	if to == nil || to.from != "x/a" || from == nil || from.data != nil || from.from != "" || from.after != to {
		t.Fatalf("states after load: to %+v, from %+v", to, from)
	}
	if _, present, ok := j.lookup("x/a"); !ok || present {
		t.Error("the old name is not absent")
	}
	if _, present, ok := j.lookup("x/b"); !ok || !present {
		t.Error("the new name is not present")
	}
}
