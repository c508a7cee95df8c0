package crash

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sync/errgroup"
)

// checkReaders is how many files a check reads at once: reads through
// the mount wait on the store more than on the CPU.
const checkReaders = 4

// leftover is the state of a file found in the mount that was never
// acknowledged: a verdict, or unreadable when open failed with EIO.
type leftover string

// unreadable marks an unacknowledged file whose open failed with EIO.
const unreadable leftover = "unreadable (EIO at open)"

// checkMount walks the mount at mnt and checks every file in it: each
// acknowledged file must be there and read back with its manifest hash;
// each other file must read back either its whole intended content or
// nothing, or fail at open with EIO. It returns the state of every
// unacknowledged file found (the "unacknowledged leftovers").
func checkMount(t *testing.T, mnt string, m *manifest) map[string]leftover {
	t.Helper()
	found := map[string]bool{}
	leftovers := map[string]leftover{}
	err := filepath.WalkDir(mnt, func(path string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(mnt, path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				// The parent's readdir named it, and lookup denies it.
				t.Errorf("%s: listed by readdir but lookup fails: %v (a stale negative cache entry that survived the crash?)", rel, err)
			} else {
				t.Errorf("%s: walking the mount: %v", rel, err)
			}
			return nil // keep walking: report every bad entry
		}
		switch {
		case rel == ".":
			return nil
		case !strings.Contains(rel, "/") && strings.HasPrefix(rel, ".sealfs"):
			if d.IsDir() {
				return filepath.SkipDir // sealfs's reserved entries
			}
			return nil
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			t.Errorf("%s: unexpected %v in the mount", rel, d.Type())
			return nil
		case !isOrthancName(rel):
			t.Errorf("%s: a file no writer created", rel)
			return nil
		}
		if m.isGone(rel) {
			t.Errorf("%s: unlinked or renamed away (acknowledged), but back in the mount", rel)
			return nil
		}
		found[rel] = true
		return nil
	})
	if err != nil {
		t.Errorf("walking %s: %v", mnt, err)
	}
	var (
		mu    sync.Mutex
		group errgroup.Group
	)
	group.SetLimit(checkReaders)
	for rel := range found {
		group.Go(func() error {
			if state, ok := checkFile(t, mnt, rel, m); !ok {
				mu.Lock()
				leftovers[rel] = state
				mu.Unlock()
			}
			return nil
		})
	}
	_ = group.Wait() // checkFile reports through t
	for _, rel := range m.paths() {
		if !found[rel] {
			t.Errorf("%s: acknowledged (fdatasync and close succeeded) but missing from the mount", rel)
		}
	}
	m.mu.Lock()
	for rel, f := range m.maybe {
		if f.other == "" || rel > f.other {
			continue // an unlink may or may not have happened; each pair once
		}
		switch {
		case found[rel] && found[f.other]:
			t.Errorf("%s renamed to %s when the daemon was killed: both names exist after the remount", rel, f.other)
		case !found[rel] && !found[f.other]:
			t.Errorf("%s renamed to %s when the daemon was killed: neither name exists after the remount", rel, f.other)
		}
	}
	m.mu.Unlock()
	m.settle(found)
	return leftovers
}

// checkFile reads one file and checks it. acknowledged is true for a
// manifest file; otherwise state says what the leftover holds.
func checkFile(t *testing.T, mnt, rel string, m *manifest) (state leftover, acknowledged bool) {
	t.Helper()
	sum, acknowledged := m.lookup(rel)
	if f, ok := m.lookupMaybe(rel); ok {
		sum, acknowledged = f.sum, true // if present, with its acknowledged content
	}
	f, err := os.Open(filepath.Join(mnt, rel))
	if err != nil {
		if !acknowledged && errors.Is(err, syscall.EIO) {
			return unreadable, false
		}
		t.Errorf("%s (acknowledged: %v): open: %v", rel, acknowledged, err)
		return "failed at open", acknowledged
	}
	got, err := io.ReadAll(f)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		t.Errorf("%s (acknowledged: %v): read after a successful open: %v", rel, acknowledged, err)
		return "failed at read", acknowledged
	}
	if acknowledged {
		if gotSum := sha256.Sum256(got); gotSum != sum {
			want := fileContent(rel)
			verdict := classify(got, want)
			t.Errorf("%s: acknowledged file reads back %v: %d bytes, want %d, first difference at %d, sha256 %s, want %s",
				rel, verdict, len(got), len(want), firstDifference(got, want), hex.EncodeToString(gotSum[:]), hex.EncodeToString(sum[:]))
		}
		return "", true
	}
	want := fileContent(rel)
	verdict := classify(got, want)
	if verdict != intact && verdict != empty {
		t.Errorf("%s: unacknowledged file reads back without error but %v: %d bytes, want %d or 0, first difference at %d",
			rel, verdict, len(got), len(want), firstDifference(got, want))
	}
	return leftover(verdict.String()), false
}
