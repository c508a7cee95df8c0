package fs

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sealfs/sealfs/remote"
)

// The write-back journal is the set of acknowledged changes that the store
// does not hold yet, kept in PendingDir so that the next mount finishes
// them after a crash or an unmount with the store down. It is an overlay
// on the store: for each path it holds the one state the path must reach
// (this content, or absent), and the mount answers lookups of those paths
// from it, whatever the kernel forgot meanwhile.
//
// On disk (every name carries a sequence number, 20 decimal digits, that
// orders all acknowledgements of the mount and of those before it):
//
//	SEQ.COND.put  a sealed staging file (envelope/staging): the content of
//	              the path in its header, acknowledged at SEQ. COND is the
//	              condition of its upload: "new" (only if absent), "any",
//	              or "v" + base64url(version it replaces).
//	SEQ.rec       a JSON record {"ops":[...]} of namespace operations
//	              acknowledged together at SEQ: {"op":"put","path":P,
//	              "data":NAME,"cond":COND} (NAME now holds P's content: a
//	              rename), {"op":"delete","path":P} (P must not exist),
//	              {"op":"move","path":P,"from":Q} (a rename of a file the
//	              store holds, under way: Q's object is re-sealed at P,
//	              then Q deleted; the record goes once both are done).
//	*.tmp         a record being written: ignored and removed.
//
// Replay folds everything in sequence order into one final state per path;
// data files that no final state uses are removed unread. A record is
// written (fsynced, renamed into place, directory fsynced) before the
// operation it records returns, so replay never undoes an acknowledged
// unlink, rename, truncate or rewrite.

// journalState is what one path must become in the store.
type journalState struct {
	path string
	data *journalData // nil (and from ""): the path must not exist
	// from, for a rename of a file the store holds that a crash
	// interrupted: the path gets from's object, re-sealed.
	from string
	// cond is the condition of the put, relative to what the store held
	// before this path's first queued change.
	cond remote.Condition
	rec  *journalRecord // the record that set this state, nil for a plain put
	// after, for a delete that is half of a rename: wait until that put
	// (the new name) is in the store, so the content always has a name.
	after *journalState
	// queued is when the path's first unapplied change was acknowledged.
	queued   time.Time
	inflight bool
	dropped  bool // applied or superseded: no longer in the overlay
	attempts int
	retryAt  time.Time
}

// journalData is one sealed staging file in PendingDir, shared by the
// states that name it and by file nodes reading it.
type journalData struct {
	name  string // file name in PendingDir
	stage *stagedFile
	refs  int // states naming it
}

// journalRecord is one SEQ.rec file, kept while a state it set is queued.
type journalRecord struct {
	name string
	refs int
}

// journalOp is one operation of a record, as stored.
type journalOp struct {
	Op   string `json:"op"`
	Path string `json:"path"`
	Data string `json:"data,omitempty"`
	Cond string `json:"cond,omitempty"`
	From string `json:"from,omitempty"`
}

type journalFile struct {
	Ops []journalOp `json:"ops"`
}

// journal is the write-back overlay of one mount. Lock order: a file
// node's mu before journal.mu; nothing that holds journal.mu takes a node's.
type journal struct {
	dir string
	log *slog.Logger

	mu     sync.Mutex
	seq    uint64
	states map[string]*journalState
	order  []*journalState // in acknowledgement order; dropped ones are skipped
	busy   map[string]bool // paths with an apply under way
	// dirs counts, per directory, the present files queued below it: a
	// directory that holds them exists even if the store has none yet.
	dirs map[string]int
	// recent holds the files uploaded moments ago, until the store's
	// listings (and the metadata cache's, which a listing under way when
	// the upload finished may overwrite) surely show them.
	recent  map[string]remote.Info
	kick    chan struct{}
	changed *sync.Cond // on mu: a state was applied or dropped
	// failures counts the applies that failed in a row (the store is
	// down); no apply starts before pauseUntil.
	failures   int
	pauseUntil time.Time
	// downUntil: the store failed as unavailable moments ago, and has
	// not answered since; lookups do not ask it again before then.
	downUntil time.Time
}

// storeDownHold is how long a store found unavailable is not asked again
// by lookups (write-back mode), unless an upload succeeds meanwhile.
const storeDownHold = 5 * time.Second

// noteDown records that the store was found unavailable.
func (j *journal) noteDown() {
	j.mu.Lock()
	j.downUntil = time.Now().Add(storeDownHold)
	j.mu.Unlock()
}

// storeDown reports whether the store was found unavailable moments ago.
func (j *journal) storeDown() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return time.Now().Before(j.downUntil)
}

func newJournal(dir string, log *slog.Logger) *journal {
	j := &journal{dir: dir, log: log, states: map[string]*journalState{}, busy: map[string]bool{}, dirs: map[string]int{}, recent: map[string]remote.Info{}, kick: make(chan struct{}, 1)}
	j.changed = sync.NewCond(&j.mu)
	return j
}

// condCode encodes an upload condition for a file name or a record.
func condCode(c remote.Condition) string {
	switch {
	case c.IfAbsent:
		return "new"
	case c.IfMatch != "":
		return "v" + base64.RawURLEncoding.EncodeToString([]byte(c.IfMatch))
	}
	return "any"
}

func parseCond(code string) (remote.Condition, error) {
	switch {
	case code == "new":
		return remote.Condition{IfAbsent: true}, nil
	case code == "any":
		return remote.Condition{}, nil
	case strings.HasPrefix(code, "v"):
		v, err := base64.RawURLEncoding.DecodeString(code[1:])
		if err != nil || len(v) == 0 {
			return remote.Condition{}, fmt.Errorf("bad version condition %q", code)
		}
		return remote.Condition{IfMatch: string(v)}, nil
	}
	return remote.Condition{}, fmt.Errorf("unknown condition %q", code)
}

// dataName is the file name of a put acknowledged at seq.
func dataName(seq uint64, cond remote.Condition) string {
	name := fmt.Sprintf("%020d.%s.put", seq, condCode(cond))
	if len(name) > 250 {
		name = fmt.Sprintf("%020d.any.put", seq) // a version too long for a name
	}
	return name
}

// parseSeq reads the sequence number at the start of a journal file name.
func parseSeq(name string) (uint64, bool) {
	if len(name) < 21 || name[20] != '.' {
		return 0, false
	}
	seq, err := strconv.ParseUint(name[:20], 10, 64)
	return seq, err == nil
}

// next returns the next sequence number (j.mu held).
func (j *journal) next() uint64 {
	j.seq++
	return j.seq
}

// writeRecord makes ops durable as record seq (j.mu held).
func (j *journal) writeRecord(seq uint64, ops []journalOp) (*journalRecord, error) {
	raw, err := json.Marshal(journalFile{Ops: ops})
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("%020d.rec", seq)
	tmp := filepath.Join(j.dir, name+".tmp")
	if err := writeSynced(tmp, raw); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, filepath.Join(j.dir, name)); err != nil {
		os.Remove(tmp)
		return nil, err
	}
	if err := syncDir(j.dir); err != nil {
		return nil, err
	}
	return &journalRecord{name: name}, nil
}

// writeSynced writes data to a new file at path and fsyncs it.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// baseCond is the condition a new state of path inherits: the one of the
// state it replaces when that one never reached the store, none (any) when
// that one is being applied right now (it may or may not land), else cond.
func (j *journal) baseCond(path string, cond remote.Condition) remote.Condition {
	old := j.states[path]
	switch {
	case old == nil:
		return cond
	case j.busy[path]:
		return remote.Condition{}
	}
	return old.cond
}

// set makes st the state of its path, superseding the old one (j.mu held).
func (j *journal) set(st *journalState) {
	if old := j.states[st.path]; old != nil {
		st.queued = old.queued
		j.drop(old)
	} else {
		st.queued = time.Now()
	}
	if st.data != nil {
		st.data.refs++
	}
	if st.rec != nil {
		st.rec.refs++
	}
	if st.present() {
		j.countDirs(st.path, 1)
	}
	j.states[st.path] = st
	j.order = append(j.order, st)
	select {
	case j.kick <- struct{}{}:
	default:
	}
}

// present reports whether st makes its path exist.
func (st *journalState) present() bool { return st.data != nil || st.from != "" }

// countDirs adds delta to the count of every directory above path.
func (j *journal) countDirs(path string, delta int) {
	for i := strings.LastIndexByte(path, '/'); i > 0; i = strings.LastIndexByte(path[:i], '/') {
		dir := path[:i]
		if j.dirs[dir] += delta; j.dirs[dir] <= 0 {
			delete(j.dirs, dir)
		}
	}
}

// drop takes st out of the overlay and removes what only it kept (j.mu held).
func (j *journal) drop(st *journalState) {
	if st.dropped {
		return
	}
	st.dropped = true
	if j.states[st.path] == st {
		delete(j.states, st.path)
	}
	if st.present() {
		j.countDirs(st.path, -1)
	}
	if d := st.data; d != nil {
		if d.refs--; d.refs == 0 {
			os.Remove(filepath.Join(j.dir, d.name))
			d.stage.release()
		}
	}
	if r := st.rec; r != nil {
		if r.refs--; r.refs == 0 {
			os.Remove(filepath.Join(j.dir, r.name))
		}
	}
	j.changed.Broadcast()
}

// put acknowledges stage (sealed and fsynced by the caller, not yet in the
// journal) as the content of path: it moves into PendingDir under its
// sequence number. cond is what the upload may replace if path has no
// queued state.
func (j *journal) put(path string, stage *stagedFile, cond remote.Condition) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	seq := j.next()
	cond = j.baseCond(path, cond)
	name := dataName(seq, cond)
	var rec *journalRecord
	if stage.file.Path() != path {
		// Staged under another name (renamed before its first
		// acknowledgement): the record names the path.
		r, err := j.writeRecord(seq, []journalOp{{Op: "put", Path: path, Data: name, Cond: condCode(cond)}})
		if err != nil {
			return err
		}
		rec = r
	}
	dst := filepath.Join(j.dir, name)
	if err := os.Rename(stage.path, dst); err != nil {
		return err
	}
	if err := syncDir(j.dir); err != nil {
		return err
	}
	stage.path, stage.acked = dst, true
	stage.refs.Add(1) // the journal's reference
	j.set(&journalState{path: path, data: &journalData{name: name, stage: stage}, cond: cond, rec: rec})
	return nil
}

// remove acknowledges that path no longer exists.
func (j *journal) remove(path string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	seq := j.next()
	rec, err := j.writeRecord(seq, []journalOp{{Op: "delete", Path: path}})
	if err != nil {
		return err
	}
	j.set(&journalState{path: path, rec: rec})
	return nil
}

// rename acknowledges that the content queued for from is now to's, with
// cond what to's upload may replace if to has no queued state.
func (j *journal) rename(from, to string, cond remote.Condition) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	src := j.states[from]
	if src == nil || src.data == nil {
		return fmt.Errorf("rename %s: %w", from, errNotJournaled)
	}
	seq := j.next()
	cond = j.baseCond(to, cond)
	rec, err := j.writeRecord(seq, []journalOp{
		{Op: "put", Path: to, Data: src.data.name, Cond: condCode(cond)},
		{Op: "delete", Path: from},
	})
	if err != nil {
		return err
	}
	put := &journalState{path: to, data: src.data, cond: cond, rec: rec}
	j.set(put)
	j.set(&journalState{path: from, rec: rec, after: put})
	return nil
}

var errNotJournaled = errors.New("no content queued in the write-back journal")

// beginMove records that from's stored object is being renamed to to, so
// that a crash in the middle is finished by the next mount (one name,
// never both). Call endMove when the store holds the result.
func (j *journal) beginMove(from, to string) (*journalRecord, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.writeRecord(j.next(), []journalOp{{Op: "move", Path: to, From: from}})
}

// endMove ends a rename begun with beginMove. If the old name could not
// be deleted (done is false), the record stays and the old name is queued
// for deletion: it is absent in this mount and the store catches up.
func (j *journal) endMove(rec *journalRecord, from string, done bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !done {
		j.set(&journalState{path: from, rec: rec})
		return
	}
	if rec.refs == 0 {
		os.Remove(filepath.Join(j.dir, rec.name))
	}
}

// lookup returns path's queued state: present (with its staged content)
// or absent. ok is false when the journal holds nothing for path.
func (j *journal) lookup(path string) (stage *stagedFile, present, ok bool) {
	if j == nil {
		return nil, false, false
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	st := j.states[path]
	if st == nil {
		return nil, false, false
	}
	if st.data == nil {
		return nil, st.from != "", true
	}
	st.data.stage.refs.Add(1) // the caller's reference
	return st.data.stage, true, true
}

// has reports whether path has a queued state.
func (j *journal) has(path string) bool {
	if j == nil {
		return false
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.states[path] != nil || j.busy[path]
}

// children returns the names directly inside directory dir ("" is the
// root) that the journal decides: a file that exists (S_IFREG), a
// directory holding such files (S_IFDIR), or a deleted file (0).
func (j *journal) children(dir string) map[string]uint32 {
	if j == nil {
		return nil
	}
	prefix := dirPrefix(dir)
	j.mu.Lock()
	defer j.mu.Unlock()
	var out map[string]uint32
	add := func(p string, present bool) {
		if !strings.HasPrefix(p, prefix) {
			return
		}
		if out == nil {
			out = map[string]uint32{}
		}
		name := p[len(prefix):]
		if i := strings.IndexByte(name, '/'); i >= 0 {
			if present {
				out[name[:i]] = syscall.S_IFDIR
			}
		} else if out[name] != syscall.S_IFDIR {
			out[name] = 0
			if present {
				out[name] = syscall.S_IFREG
			}
		}
	}
	for p := range j.recent {
		add(p, true)
	}
	for p, st := range j.states {
		add(p, st.present())
	}
	return out
}

// recentHold is how long a file uploaded from the journal is still
// answered from it: longer than any cached listing that predates it lives.
const recentHold = 10 * time.Second

// uploaded records that the store now holds path as info (j.mu held).
func (j *journal) uploaded(path string, info remote.Info) {
	if _, ok := j.recent[path]; !ok {
		j.countDirs(path, 1)
	}
	j.recent[path] = info
	time.AfterFunc(recentHold, func() {
		j.mu.Lock()
		defer j.mu.Unlock()
		if cur, ok := j.recent[path]; ok && cur == info {
			delete(j.recent, path)
			j.countDirs(path, -1)
		}
	})
}

// deleted records that the store no longer holds path (j.mu held).
func (j *journal) deleted(path string) {
	if _, ok := j.recent[path]; ok {
		delete(j.recent, path)
		j.countDirs(path, -1)
	}
}

// forgetRecent drops path from the recent uploads: it is being removed
// or renamed away.
func (j *journal) forgetRecent(path string) {
	if j == nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.deleted(path)
}

// recentlyUploaded returns what the store was seen to hold at path
// moments ago, when it came from the journal.
func (j *journal) recentlyUploaded(path string) (remote.Info, bool) {
	if j == nil {
		return remote.Info{}, false
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	info, ok := j.recent[path]
	return info, ok
}

// holds reports whether files that exist are queued below directory dir.
func (j *journal) holds(dir string) bool {
	if j == nil {
		return false
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.dirs[dir] > 0
}

// queuedAt reports whether path, or anything below it, has a queued or
// in-flight change (j.mu held).
func (j *journal) queuedAt(path string) bool {
	prefix := dirPrefix(path)
	for p := range j.states {
		if p == path || strings.HasPrefix(p, prefix) {
			return true
		}
	}
	for p := range j.busy {
		if p == path || strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// idle reports whether nothing is queued or in flight: the common case
// outside write-back mode, checked before anything costs more.
func (j *journal) idle() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.states) == 0 && len(j.busy) == 0
}

// under reports whether any path below directory dir has a queued
// change (any) and whether one of them is a file that exists (present).
func (j *journal) under(dir string) (any, present bool) {
	if j == nil {
		return false, false
	}
	prefix := dirPrefix(dir)
	j.mu.Lock()
	defer j.mu.Unlock()
	for p, st := range j.states {
		if strings.HasPrefix(p, prefix) {
			any = true
			if st.data != nil || st.from != "" {
				return true, true
			}
		}
	}
	for p := range j.busy {
		if strings.HasPrefix(p, prefix) {
			any = true
		}
	}
	return any, false
}

// JournalStats describes the write-back journal at one moment.
type JournalStats struct {
	// Queued is the number of paths whose change is not in the store yet.
	Queued int
	// Oldest is when the oldest of those changes was acknowledged (zero
	// when Queued is 0).
	Oldest time.Time
}

func (j *journal) stats() JournalStats {
	j.mu.Lock()
	defer j.mu.Unlock()
	s := JournalStats{Queued: len(j.states)}
	for _, st := range j.states {
		if s.Oldest.IsZero() || st.queued.Before(s.Oldest) {
			s.Oldest = st.queued
		}
	}
	return s
}
