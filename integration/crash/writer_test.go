package crash

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// writeSize is the size of each write() call, as Orthanc's writes.
const writeSize = 4 << 10

// manifest lists the acknowledged files: those whose fdatasync and close
// both returned success. It maps the path in the mount to the sha256 of
// the content. It also lists the names an acknowledged unlink or rename
// removed (gone: they must never come back), and the files an unlink or
// rename was changing when the daemon was killed (maybe).
type manifest struct {
	mu    sync.Mutex
	files map[string][sha256.Size]byte
	gone  map[string]bool
	maybe map[string]maybeFile
}

// maybeFile is a file whose unlink or rename was under way at SIGKILL:
// it holds sum or is absent; for a rename, exactly one of it and other
// exists (one name, never both, never none).
type maybeFile struct {
	sum   [sha256.Size]byte
	other string // the other name of a rename; "" for an unlink
}

// newManifest returns an empty manifest.
func newManifest() *manifest {
	return &manifest{files: map[string][sha256.Size]byte{}, gone: map[string]bool{}, maybe: map[string]maybeFile{}}
}

// begin marks rel's unlink (to == "") or rename to to as under way.
func (m *manifest) begin(rel, to string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	sum := m.files[rel]
	delete(m.files, rel)
	m.maybe[rel] = maybeFile{sum: sum, other: to}
	if to != "" {
		m.maybe[to] = maybeFile{sum: sum, other: rel}
	}
}

// done records that the unlink or rename begun on rel returned success.
func (m *manifest) done(rel string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.maybe[rel]
	delete(m.maybe, rel)
	m.gone[rel] = true
	if f.other != "" {
		delete(m.maybe, f.other)
		m.files[f.other] = f.sum
	}
}

// settle turns every maybe into what the check found: present files are
// acknowledged, absent ones gone.
func (m *manifest) settle(found map[string]bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for rel, f := range m.maybe {
		if found[rel] {
			m.files[rel] = f.sum
		} else {
			m.gone[rel] = true
		}
	}
	clear(m.maybe)
}

// lookupMaybe returns rel's entry if an operation on it was under way.
func (m *manifest) lookupMaybe(rel string) (maybeFile, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.maybe[rel]
	return f, ok
}

// isGone reports whether an acknowledged unlink or rename removed rel.
func (m *manifest) isGone(rel string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gone[rel]
}

// add records rel as acknowledged with the sha256 of its content.
func (m *manifest) add(rel string, sum [sha256.Size]byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files[rel] = sum
}

// lookup returns the acknowledged file's hash, if rel was acknowledged.
func (m *manifest) lookup(rel string) ([sha256.Size]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	sum, ok := m.files[rel]
	return sum, ok
}

// paths returns every acknowledged path, sorted.
func (m *manifest) paths() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	paths := make([]string, 0, len(m.files))
	for rel := range m.files {
		paths = append(paths, rel)
	}
	sort.Strings(paths)
	return paths
}

// writerOutcome is how one writer's run ended.
type writerOutcome struct {
	acknowledged int
	// err is the failure that stopped the writer (nil if ctx ended first).
	err error
	// beforeKill is set when err came before SIGKILL was sent: a healthy
	// mount refused a write.
	beforeKill bool
}

// runWriters starts n writers, each creating files under mnt from its own
// random stream (seeded with roundSeed and its index) until an operation
// fails or ctx ends, adding each acknowledged file to m. killed must be set
// before the daemon is killed. wait returns the outcomes once all writers
// have stopped.
func runWriters(ctx context.Context, mnt string, n int, roundSeed uint64, killed *atomic.Bool, m *manifest) (wait func() []writerOutcome) {
	outcomes := make([]writerOutcome, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(roundSeed, uint64(i)))
			out := &outcomes[i]
			for ctx.Err() == nil {
				rel := newFileName(r)
				data := fileContent(rel)
				if err := writeFile(mnt, rel, data); err != nil {
					out.err = fmt.Errorf("%s: %w", rel, err)
					out.beforeKill = !killed.Load()
					return
				}
				m.add(rel, sha256.Sum256(data))
				out.acknowledged++
				// Now and then, remove or rename an acknowledged file, as
				// Orthanc deletes duplicates (and other programs rename).
				var err error
				switch r.IntN(8) {
				case 0:
					m.begin(rel, "")
					err = os.Remove(filepath.Join(mnt, rel))
				case 1:
					to := newFileName(r)
					if err = makeParents(mnt, to); err == nil {
						m.begin(rel, to)
						err = os.Rename(filepath.Join(mnt, rel), filepath.Join(mnt, to))
					}
				default:
					continue
				}
				if err != nil {
					out.err = fmt.Errorf("%s: %w", rel, err)
					out.beforeKill = !killed.Load()
					return
				}
				m.done(rel)
			}
		})
	}
	return func() []writerOutcome {
		wg.Wait()
		return outcomes
	}
}

// writeFile writes data to mnt/rel as Orthanc does: create the two
// directory levels, create the file, write it in 4 KiB calls, fdatasync, close.
// It returns nil only when every step succeeded.
func writeFile(mnt, rel string, data []byte) (err error) {
	path := filepath.Join(mnt, rel)
	if err := makeParents(mnt, rel); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	defer func() {
		if closeErr := f.Close(); closeErr != nil && err == nil {
			err = fmt.Errorf("close: %w", closeErr)
		}
	}()
	for off := 0; off < len(data); off += writeSize {
		if _, err := f.Write(data[off:min(off+writeSize, len(data))]); err != nil {
			return fmt.Errorf("write at %d: %w", off, err)
		}
	}
	if err := unix.Fdatasync(int(f.Fd())); err != nil {
		return fmt.Errorf("fdatasync: %w", err)
	}
	return nil
}

// makeParents creates the two directory levels above mnt/rel. Not
// os.MkdirAll: on a dead mount it reports the EEXIST of the mount point
// itself instead of the ENOTCONN that explains it.
func makeParents(mnt, rel string) error {
	path := filepath.Join(mnt, rel)
	for _, dir := range []string{filepath.Dir(filepath.Dir(path)), filepath.Dir(path)} {
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("mkdir: %w", err)
		}
	}
	return nil
}

// expectedAfterKill lists the errors an operation on a mount whose daemon
// was killed may return: ENOTCONN once the connection is aborted,
// ECONNABORTED for a request in flight at that moment, EIO for pages whose
// write-back failed.
var expectedAfterKill = []syscall.Errno{syscall.ENOTCONN, syscall.ECONNABORTED, syscall.EIO}

// errnoName returns the name of the errno inside err ("other" if none).
func errnoName(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return "other"
	}
	return unix.ErrnoName(errno)
}

// expectedKillError reports whether err is one a killed daemon explains.
func expectedKillError(err error) bool {
	for _, errno := range expectedAfterKill {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}

// summarize counts the errno names of the outcomes' errors, for the log.
func summarize(outcomes []writerOutcome) string {
	counts := map[string]int{}
	for _, o := range outcomes {
		if o.err != nil {
			counts[errnoName(o.err)]++
		}
	}
	parts := make([]string, 0, len(counts))
	for name, n := range counts {
		parts = append(parts, fmt.Sprintf("%s×%d", name, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
