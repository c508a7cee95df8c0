package fs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
)

const (
	// readWindow is how much of a large remote object one ranged request
	// fetches.
	readWindow = 8 << 20
	// maxReadAhead is how many windows past the one being read are
	// fetched at once while reads are sequential.
	maxReadAhead = 3
	// readAheadShare: one reader's windows take at most 1/readAheadShare
	// of a memory budget (fewer windows ahead under a small budget).
	readAheadShare = 8
)

// readAhead is the number of windows a reader of a large object fetches
// ahead, given the memory budget.
func (f *filesystem) readAhead() int {
	b := f.opts.Budget
	if b == nil {
		return maxReadAhead
	}
	return int(min(maxReadAhead, max(0, b.Size()/(readAheadShare*readWindow)-1)))
}

// windowReader reads a remote object through windows of ciphertext, each
// fetched with one ranged request and aligned to a multiple of the window
// size: a sequential reader then costs one request per window instead of
// one per FUSE read, and while reads are sequential the next windows are
// fetched in parallel with serving the current one. The bytes are only
// ciphertext: the envelope reader above authenticates every chunk before
// any plaintext is returned, and the source pins every request to the
// opened version. The memory of all windows is taken from the budget when
// the reader is created and given back by Close.
type windowReader struct {
	src   io.ReaderAt
	size  int64
	width int64
	ahead int
	slots int // buffers: the window being read plus ahead

	mu      sync.Mutex
	windows map[int64]*window // by index: loaded, loading or failed
	free    [][]byte
	buffers int   // buffers allocated so far
	last    int64 // index of the window of the latest read
	closed  bool
	fetches sync.WaitGroup
	release func()
}

// window is one fetched (or loading) window of the object.
type window struct {
	buf   []byte
	n     int
	err   error
	done  chan struct{} // closed when buf[:n] or err is set
	refs  int           // reads copying from buf; guarded by windowReader.mu
	ahead bool          // fetched ahead of the reads, not for one
}

// errWindowReaderClosed reports a read after Close.
var errWindowReaderClosed = fmt.Errorf("window reader: %w", fs.ErrClosed)

// newWindowReader returns a reader of the size bytes of src through
// windows of width bytes, fetching up to ahead windows in advance. reserve
// takes the windows' memory from the budget.
func newWindowReader(src io.ReaderAt, size int64, width, ahead int, reserve func(int64) func()) *windowReader {
	w := int64(width)
	slots := int(min(int64(ahead+1), max(1, (size+w-1)/w)))
	return &windowReader{
		src:     src,
		size:    size,
		width:   w,
		ahead:   ahead,
		slots:   slots,
		windows: make(map[int64]*window),
		last:    -2,
		release: reserve(int64(slots) * min(w, size)),
	}
}

// ReadAt serves p from the windows covering it, fetching those missing.
// Reads larger than a window go straight to the source.
func (w *windowReader) ReadAt(p []byte, off int64) (int, error) {
	switch {
	case off < 0:
		return 0, fmt.Errorf("window reader: negative offset %d", off)
	case off >= w.size:
		return 0, io.EOF
	case int64(len(p)) > w.width:
		return w.src.ReadAt(p, off)
	}
	total := 0
	for total < len(p) && off < w.size {
		k := off / w.width
		win, err := w.acquire(k)
		if err != nil {
			return total, err
		}
		var n int
		if win == nil {
			// Every buffer is busy (concurrent reads elsewhere in the
			// object): read this piece directly.
			end := min(int64(len(p)-total), (k+1)*w.width-off)
			n, err = w.src.ReadAt(p[total:int64(total)+end], off)
			if err != nil && !(errors.Is(err, io.EOF) && off+int64(n) == w.size) {
				return total + n, err
			}
		} else {
			n = copy(p[total:], win.buf[off-k*w.width:win.n])
			w.unpin(k, win, false)
		}
		total += n
		off += int64(n)
	}
	if total < len(p) {
		return total, io.EOF
	}
	return total, nil
}

// acquire returns window k loaded and pinned (nil if no buffer is free
// for it), after starting the fetch of the windows after it if reads are
// sequential. A window fetched ahead that failed is fetched once more
// now that it is wanted, even if this read found it still loading.
func (w *windowReader) acquire(k int64) (*window, error) {
	for retried := false; ; retried = true {
		win, err := w.pin(k)
		if win == nil || err != nil {
			return nil, err
		}
		<-win.done
		if win.err == nil {
			return win, nil
		}
		w.unpin(k, win, true)
		if !win.ahead || retried {
			return nil, win.err
		}
	}
}

// pin returns window k, loaded or loading, with a reference taken (nil if
// no buffer is free for it), and starts fetching ahead if reads are
// sequential.
func (w *windowReader) pin(k int64) (*window, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, errWindowReaderClosed
	}
	sequential := k == w.last || k == w.last+1
	w.last = k
	win := w.windows[k]
	if win != nil && win.refs == 0 && failed(win) {
		// A fetch ahead failed: try again now that the window is wanted.
		delete(w.windows, k)
		w.free = append(w.free, win.buf)
		win = nil
	}
	if win == nil {
		win = w.startLocked(k, k)
	}
	if win != nil {
		win.refs++
	}
	if sequential {
		for j := k + 1; j <= k+int64(w.ahead) && j*w.width < w.size; j++ {
			if w.windows[j] == nil && w.startLocked(j, k) == nil {
				break
			}
		}
	}
	return win, nil
}

// unpin ends a read's use of window k; a failed window is dropped, so
// that the next read of it fetches it again.
func (w *windowReader) unpin(k int64, win *window, failed bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	win.refs--
	if failed && w.windows[k] == win {
		delete(w.windows, k)
		w.free = append(w.free, win.buf)
	}
}

// startLocked starts fetching window k into a free buffer, or one taken
// from a window that is neither in use, loading, nor among the windows
// from cur to cur+ahead; it returns nil if there is none. w.mu is held.
func (w *windowReader) startLocked(k, cur int64) *window {
	buf := w.bufferLocked(cur)
	if buf == nil {
		return nil
	}
	win := &window{buf: buf, done: make(chan struct{}), ahead: k != cur}
	w.windows[k] = win
	want := min(w.width, w.size-k*w.width)
	w.fetches.Add(1)
	go func() {
		defer w.fetches.Done()
		n, err := w.src.ReadAt(buf[:want], k*w.width)
		if errors.Is(err, io.EOF) && int64(n) == want {
			err = nil
		} else if err == nil && int64(n) < want {
			err = io.ErrUnexpectedEOF
		}
		win.n, win.err = n, err
		close(win.done)
	}()
	return win
}

// bufferLocked returns a buffer for a new window: a free one, a new one
// while fewer than slots exist, or the buffer of the evictable window
// farthest behind cur. w.mu is held.
func (w *windowReader) bufferLocked(cur int64) []byte {
	if n := len(w.free); n > 0 {
		buf := w.free[n-1]
		w.free = w.free[:n-1]
		return buf
	}
	if w.buffers < w.slots {
		w.buffers++
		return make([]byte, min(w.width, w.size))
	}
	victim := int64(-1)
	for j, win := range w.windows {
		if win.refs > 0 || (j >= cur && j <= cur+int64(w.ahead)) {
			continue
		}
		select {
		case <-win.done:
		default:
			continue // still loading into its buffer
		}
		if victim < 0 || distance(j, cur) > distance(victim, cur) {
			victim = j
		}
	}
	if victim < 0 {
		return nil
	}
	buf := w.windows[victim].buf
	delete(w.windows, victim)
	return buf
}

// failed reports whether win's fetch has ended in an error.
func failed(win *window) bool {
	select {
	case <-win.done:
		return win.err != nil
	default:
		return false
	}
}

// distance is how far window j is from cur, windows behind counting as
// farther than windows ahead.
func distance(j, cur int64) int64 {
	if j < cur {
		return 2 * (cur - j)
	}
	return j - cur
}

// Close waits for the fetches under way and gives the windows' memory
// back to the budget.
func (w *windowReader) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	w.fetches.Wait()
	w.mu.Lock()
	w.windows, w.free = nil, nil
	w.mu.Unlock()
	w.release()
	return nil
}
