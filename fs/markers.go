package fs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"

	"github.com/sealfs/sealfs/remote"
)

// Lazy directory markers. On an object store a directory exists as the
// prefix of the keys below it, or as a marker object when it is empty.
// Orthanc makes two directories for most files it stores and fills them at
// once, so a marker written by mkdir is a request on its hot path that the
// file's own object makes useless a moment later. With DirMarkers, mkdir
// records the directory in the mount only, and the marker is written only
// if the directory would otherwise be invisible to other mounts (or lost):
// after Delay if nothing was committed below it by then, at an fsync of
// the directory or of one above it, and at Drain (after the unmount).
// Until then the directory exists in this mount, and the store does not
// show it: like a mkdir(2) on a local disk before the parent is fsynced,
// a crash loses it.

// DefaultMarkerDelay is how long an empty directory made by mkdir waits
// for its first object before its marker is written.
const DefaultMarkerDelay = 3 * time.Second

// DirMarkers writes the markers of one mount's lazily created directories.
type DirMarkers struct {
	delay time.Duration

	mu      sync.Mutex
	fsys    *filesystem
	pending map[*dirNode]*time.Timer // directories the store does not show; nil timer: waiting for a child
	writes  sync.WaitGroup           // markers being written by timers
}

// NewDirMarkers returns the lazy marker writer of an object-store mount;
// pass it in Options.DirMarkers and call Drain after the unmount. Markers
// of directories still empty are written delay after their mkdir (0 means
// DefaultMarkerDelay).
func NewDirMarkers(delay time.Duration) *DirMarkers {
	if delay <= 0 {
		delay = DefaultMarkerDelay
	}
	return &DirMarkers{delay: delay, pending: map[*dirNode]*time.Timer{}}
}

func (m *DirMarkers) start(f *filesystem) {
	m.mu.Lock()
	m.fsys = f
	m.mu.Unlock()
}

// schedule records d as not shown by the store, with its marker due after
// the delay.
func (m *DirMarkers) schedule(d *dirNode) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t := m.pending[d]; t != nil {
		t.Stop()
	}
	m.pending[d] = time.AfterFunc(m.delay, func() { m.due(d) })
}

// isPending reports whether d exists in this mount only.
func (m *DirMarkers) isPending(d *dirNode) bool {
	if m == nil {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.pending[d]
	return ok
}

// settle records that the store shows d (an object or marker lies below
// it, or it was removed): no marker is due.
func (m *DirMarkers) settle(d *dirNode) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if t, ok := m.pending[d]; ok {
		if t != nil {
			t.Stop()
		}
		delete(m.pending, d)
	}
}

// dropStale drops the pending markers of directory nodes at logical
// other than current: inodes of the same directory that the kernel forgot
// (a lookup made current afresh). They are marked removed, and a marker
// write of theirs already under way is waited for, so that no marker of
// theirs brings the directory back after it is removed or renamed.
func (m *DirMarkers) dropStale(logical string, current *dirNode) {
	if m == nil {
		return
	}
	var stale []*dirNode
	m.mu.Lock()
	for d, t := range m.pending {
		if d == current {
			continue
		}
		path, attached := attachedPath(d)
		if !attached {
			d.markerMu.Lock()
			path = d.lazyPath
			d.markerMu.Unlock()
		}
		if path == logical || strings.HasPrefix(path, logical+"/") {
			if t != nil {
				t.Stop()
			}
			delete(m.pending, d)
			stale = append(stale, d)
		}
	}
	m.mu.Unlock()
	for _, d := range stale {
		d.markerMu.Lock() // waits for a write under way
		d.removed = true
		d.markerMu.Unlock()
	}
}

// settleAbove settles every directory from in up to the root: an object
// or marker committed in (or below) them makes them all exist in the store.
func (m *DirMarkers) settleAbove(in *gofs.Inode) {
	if m == nil {
		return
	}
	for in != nil {
		if d, ok := in.Operations().(*dirNode); ok {
			m.settle(d)
		}
		_, in = in.Parent()
	}
}

// due writes d's marker when its delay has passed, unless a directory
// below it is pending too: that one's marker (or object) will make d
// exist, and its removal reschedules d.
func (m *DirMarkers) due(d *dirNode) {
	m.mu.Lock()
	if _, ok := m.pending[d]; !ok {
		m.mu.Unlock()
		return
	}
	for _, ch := range d.Children() {
		if cd, ok := ch.Operations().(*dirNode); ok {
			if _, childPending := m.pending[cd]; childPending {
				m.pending[d] = nil
				m.mu.Unlock()
				return
			}
		}
	}
	m.writes.Add(1)
	m.mu.Unlock()
	defer m.writes.Done()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := m.materialize(ctx, d); err != nil {
		m.mu.Lock()
		_, ok := m.pending[d]
		retry := ok && errors.Is(err, remote.ErrUnavailable)
		if retry {
			m.pending[d] = time.AfterFunc(m.delay, func() { m.due(d) })
		} else {
			// Refused for good (a key the store does not take): said once,
			// not retried. The directory exists in this mount only.
			delete(m.pending, d)
		}
		m.mu.Unlock()
		if retry {
			m.fsys.log.Warn("directory marker not written; will retry", "path", d.logical(), "retry_in", m.delay, "err", err)
		} else if ok {
			m.fsys.log.Error("directory marker refused by the store; the empty directory is not stored", "path", d.logical(), "err", err)
		}
	}
}

// materialize writes d's marker if d is still pending and not removed.
func (m *DirMarkers) materialize(ctx context.Context, d *dirNode) error {
	d.markerMu.Lock()
	defer d.markerMu.Unlock()
	if !m.isPending(d) || d.removed {
		return nil
	}
	logical, attached := attachedPath(d)
	if !attached {
		// The kernel forgot the inode (it may, for an unused directory):
		// the directory is still there, at the path it was made with.
		logical = d.lazyPath
	}
	if err := m.fsys.putMarker(ctx, logical); err != nil {
		return err
	}
	d.noMarker = false
	m.settleAbove(&d.Inode)
	return nil
}

// attachedPath returns d's path, and whether d is still linked to the root.
func attachedPath(d *dirNode) (string, bool) {
	root := d.Root()
	var names []string
	for in := &d.Inode; in != root; {
		name, parent := in.Parent()
		if parent == nil {
			return "", false
		}
		names = append(names, name)
		in = parent
	}
	slices.Reverse(names)
	return strings.Join(names, "/"), true
}

// materializeTree writes the markers of d and every pending directory
// below it, deepest first (a marker makes every directory above it exist,
// so those need none).
func (m *DirMarkers) materializeTree(ctx context.Context, d *dirNode) error {
	if m == nil {
		return nil
	}
	root := d.logical()
	var due []*dirNode
	m.mu.Lock()
	for p := range m.pending {
		if l := p.logical(); l == root || root == "" || strings.HasPrefix(l, root+"/") {
			due = append(due, p)
		}
	}
	m.mu.Unlock()
	return m.materializeAll(ctx, due)
}

// materializeAll writes the markers of dirs still pending, deepest first.
func (m *DirMarkers) materializeAll(ctx context.Context, dirs []*dirNode) error {
	depth := func(d *dirNode) int { return strings.Count(d.logical(), "/") }
	slices.SortFunc(dirs, func(a, b *dirNode) int { return cmp.Compare(depth(b), depth(a)) })
	var errs []error
	for _, d := range dirs {
		if err := m.materialize(ctx, d); err != nil {
			errs = append(errs, fmt.Errorf("directory marker of %s: %w", d.logical(), err))
		}
	}
	return errors.Join(errs...)
}

// Drain writes the markers of every directory still pending. Call it
// after the unmount, so that empty directories made just before it are
// not lost.
func (m *DirMarkers) Drain(ctx context.Context) error {
	m.mu.Lock()
	dirs := make([]*dirNode, 0, len(m.pending))
	for d, t := range m.pending {
		if t != nil {
			t.Stop()
		}
		dirs = append(dirs, d)
	}
	fsys := m.fsys
	m.mu.Unlock()
	m.writes.Wait()
	if fsys == nil || len(dirs) == 0 {
		return nil
	}
	return m.materializeAll(ctx, dirs)
}

// putMarker writes the marker object of directory logical.
func (f *filesystem) putMarker(ctx context.Context, logical string) error {
	up, err := f.store.Create(ctx, markerKey(logical))
	if err != nil {
		return err
	}
	if _, err := up.Commit(ctx, remote.Condition{}); err != nil {
		return err
	}
	return nil
}
