package fs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sealfs/sealfs/envelope/staging"
	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/remote"
)

// load reads what earlier mounts left in the journal directory and folds
// it into the overlay. A staging file that names a KEK the ring lacks, or
// is not of this volume, stops the mount and is kept.
func (j *journal) load(ring *keyring.Keyring, volume [16]byte) error {
	entries, err := os.ReadDir(j.dir)
	if err != nil {
		return err
	}
	type item struct {
		seq  uint64
		name string
	}
	var items []item
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".tmp") {
			os.Remove(filepath.Join(j.dir, name))
			continue
		}
		seq, ok := parseSeq(name)
		if !ok || !(strings.HasSuffix(name, ".put") || strings.HasSuffix(name, ".rec")) {
			return fmt.Errorf("write-back journal %s: unexpected file %q (move it away to mount)", j.dir, name)
		}
		items = append(items, item{seq, name})
		j.seq = max(j.seq, seq)
	}
	sort.Slice(items, func(a, b int) bool { return items[a].seq < items[b].seq })

	datas := map[string]*journalData{}
	target := map[*journalData]string{}
	final := map[string]*journalState{}
	var records []*journalRecord
	for _, it := range items {
		path := filepath.Join(j.dir, it.name)
		if strings.HasSuffix(it.name, ".put") {
			stage, err := openJournalStage(path, ring, volume)
			if err != nil {
				j.closeAll(datas)
				return err
			}
			cond, err := parseCond(strings.TrimSuffix(it.name[21:], ".put"))
			if err != nil {
				stage.release()
				j.closeAll(datas)
				return fmt.Errorf("write-back journal %s: %w", path, err)
			}
			d := &journalData{name: it.name, stage: stage}
			datas[it.name] = d
			foldPut(final, target, &journalState{path: stage.file.Path(), data: d, cond: cond})
			continue
		}
		raw, err := os.ReadFile(path)
		var ops []decodedOp
		if err == nil {
			ops, err = decodeRecord(raw)
		}
		if err != nil {
			j.closeAll(datas)
			return fmt.Errorf("write-back journal record %s: %w (move it away to mount; the change it records is then lost)", path, err)
		}
		rec := &journalRecord{name: it.name}
		records = append(records, rec)
		for _, op := range ops {
			switch op.Op {
			case "delete":
				final[op.Path] = &journalState{path: op.Path, rec: rec}
			case "put":
				if d := datas[op.Data]; d != nil { // else never acknowledged, or superseded
					foldPut(final, target, &journalState{path: op.Path, data: d, cond: op.cond, rec: rec})
				}
			case "move":
				if src := final[op.From]; src != nil && src.data != nil {
					foldPut(final, target, &journalState{path: op.Path, data: src.data, rec: rec})
				} else if src != nil && src.from != "" {
					final[op.Path] = &journalState{path: op.Path, from: src.from, rec: rec}
				} else if src == nil {
					final[op.Path] = &journalState{path: op.Path, from: op.From, rec: rec}
				} // else from was deleted: nothing to move
				final[op.From] = &journalState{path: op.From, rec: rec}
			}
		}
	}
	paths := make([]string, 0, len(final))
	for p := range final {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	j.mu.Lock()
	for _, p := range paths {
		j.set(final[p])
	}
	// A delete that is half of a rename waits for its new name's put.
	puts := map[*journalRecord]*journalState{}
	for _, st := range final {
		if (st.data != nil || st.from != "") && st.rec != nil {
			puts[st.rec] = st
		}
	}
	for _, st := range final {
		if st.data == nil && st.from == "" && st.rec != nil {
			st.after = puts[st.rec]
		}
	}
	j.mu.Unlock()
	for _, d := range datas {
		if d.refs == 0 {
			os.Remove(filepath.Join(j.dir, d.name))
			d.stage.release()
		}
	}
	for _, r := range records {
		if r.refs == 0 {
			os.Remove(filepath.Join(j.dir, r.name))
		}
	}
	if len(items) > 0 {
		if err := syncDir(j.dir); err != nil {
			return err
		}
		j.log.Info("write-back journal loaded", "files", len(items), "paths", len(final))
	}
	return nil
}

// decodedOp is one validated operation of a record.
type decodedOp struct {
	journalOp
	cond remote.Condition
}

// maxRecord bounds a record file: a handful of operations on two paths.
const maxRecord = 64 << 10

// decodeRecord parses and validates a record file.
func decodeRecord(raw []byte) ([]decodedOp, error) {
	if len(raw) > maxRecord {
		return nil, fmt.Errorf("record of %d bytes, more than %d", len(raw), maxRecord)
	}
	var jf journalFile
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&jf); err != nil {
		return nil, err
	}
	if len(jf.Ops) == 0 {
		return nil, errors.New("record without operations")
	}
	out := make([]decodedOp, 0, len(jf.Ops))
	for _, op := range jf.Ops {
		if !validJournalPath(op.Path) {
			return nil, fmt.Errorf("bad path %q", op.Path)
		}
		d := decodedOp{journalOp: op}
		switch op.Op {
		case "delete":
			if op.Data != "" || op.Cond != "" || op.From != "" {
				return nil, errors.New("delete with data, condition or source")
			}
		case "move":
			if op.Data != "" || op.Cond != "" || !validJournalPath(op.From) || op.From == op.Path {
				return nil, fmt.Errorf("bad move from %q", op.From)
			}
		case "put":
			if _, ok := parseSeq(op.Data); !ok || !strings.HasSuffix(op.Data, ".put") || strings.Contains(op.Data, "/") || op.From != "" {
				return nil, fmt.Errorf("bad data file name %q", op.Data)
			}
			cond, err := parseCond(op.Cond)
			if err != nil {
				return nil, err
			}
			d.cond = cond
		default:
			return nil, fmt.Errorf("unknown operation %q", op.Op)
		}
		out = append(out, d)
	}
	return out, nil
}

// validJournalPath reports whether p is a logical path: relative,
// "/"-separated, no empty, "." or ".." element, no NUL.
func validJournalPath(p string) bool {
	if p == "" || strings.ContainsRune(p, 0) {
		return false
	}
	for _, el := range strings.Split(p, "/") {
		if el == "" || el == "." || el == ".." {
			return false
		}
	}
	return true
}

// foldPut makes st (a put) the final state of its path during load; the
// data's earlier name loses it (a rename moves content, it never copies).
func foldPut(final map[string]*journalState, target map[*journalData]string, st *journalState) {
	if prev, ok := target[st.data]; ok && prev != st.path {
		if old := final[prev]; old != nil && old.data == st.data {
			delete(final, prev)
		}
	}
	target[st.data] = st.path
	final[st.path] = st
}

func (j *journal) closeAll(datas map[string]*journalData) {
	for _, d := range datas {
		d.stage.release()
	}
}

// openJournalStage opens a journaled staging file for reading.
func openJournalStage(path string, ring *keyring.Keyring, volume [16]byte) (*stagedFile, error) {
	osf, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	sf, err := staging.Open(osf, ring)
	if err != nil {
		osf.Close()
		if errors.Is(err, keyring.ErrUnknownKEK) || errors.Is(err, keyring.ErrRevokedKEK) {
			return nil, fmt.Errorf("write-back journal %s: %w: load that key (as decrypt-only) to mount; the file is kept", path, err)
		}
		return nil, fmt.Errorf("write-back journal %s: %w (the file is kept)", path, err)
	}
	if sf.Volume() != volume {
		sf.Close()
		return nil, fmt.Errorf("write-back journal %s: staged for volume %x, this is %x (the file is kept)", path, sf.Volume(), volume)
	}
	return newStagedFile(sf, path, true), nil
}
