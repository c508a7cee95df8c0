package fs

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// slowSource serves data after a delay per request, counting requests
// and the most it saw in flight at once; the next failures requests at
// failOff fail.
type slowSource struct {
	data     []byte
	delay    time.Duration
	requests atomic.Int32
	inFlight atomic.Int32
	maxSeen  atomic.Int32
	mu       sync.Mutex
	failOff  int64 // offset whose next failures requests fail
	failures int
}

var errInjected = errors.New("injected fetch failure")

func newSlowSource(size int, delay time.Duration) *slowSource {
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i*7 + i/251)
	}
	return &slowSource{data: data, delay: delay}
}

func (s *slowSource) ReadAt(p []byte, off int64) (int, error) {
	s.requests.Add(1)
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.maxSeen.Load()
		if n <= m || s.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(s.delay)
	s.mu.Lock()
	fail := off == s.failOff && s.failures > 0
	if fail {
		s.failures--
	}
	s.mu.Unlock()
	if fail {
		return 0, errInjected
	}
	return bytes.NewReader(s.data).ReadAt(p, off)
}

// budgetProbe records what a window reader reserves and gives back.
type budgetProbe struct {
	mu       sync.Mutex
	held     int64
	reserved int64
}

func (b *budgetProbe) reserve(n int64) func() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.held += n
	b.reserved += n
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.held -= n
	}
}

const testWidth = 64 << 10

func TestWindowReaderSequentialReadsAhead(t *testing.T) {
	src := newSlowSource(20*testWidth+123, 5*time.Millisecond)
	var budget budgetProbe
	w := newWindowReader(src, int64(len(src.data)), testWidth, 3, budget.reserve)
	got := make([]byte, 0, len(src.data))
	buf := make([]byte, 4096)
	for off := int64(0); ; off += int64(len(buf)) {
		n, err := w.ReadAt(buf, off)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("ReadAt %d: %v", off, err)
		}
	}
	if !bytes.Equal(got, src.data) {
		t.Fatal("sequential reads returned different bytes")
	}
	if m := src.maxSeen.Load(); m < 3 {
		t.Errorf("at most %d fetches in flight, want the windows ahead fetched in parallel", m)
	}
	if r := src.requests.Load(); r != 21 {
		t.Errorf("%d requests for 21 windows", r)
	}
	if budget.reserved != 4*testWidth {
		t.Errorf("reserved %d bytes, want 4 windows", budget.reserved)
	}
	w.Close()
	if budget.held != 0 {
		t.Errorf("%d bytes still held after Close", budget.held)
	}
}

func TestWindowReaderRandomAndConcurrentReads(t *testing.T) {
	src := newSlowSource(9*testWidth+77, 0)
	size := int64(len(src.data))
	var budget budgetProbe
	w := newWindowReader(src, size, testWidth, 2, budget.reserve)
	defer w.Close()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for range 300 {
				off := rng.Int64N(size + 10)
				n := 1 + rng.IntN(testWidth+testWidth/2) // some span two windows or exceed one
				if g == 0 {
					n = 4096 // one reader sequential from a random start
				}
				p := make([]byte, n)
				got, err := w.ReadAt(p, off)
				wantN := int(max(0, min(int64(n), size-off)))
				if got != wantN || (wantN < n) != (err == io.EOF) || (err != nil && err != io.EOF) {
					t.Errorf("ReadAt(%d bytes at %d) = %d, %v; want %d", n, off, got, err, wantN)
					return
				}
				if got > 0 && !bytes.Equal(p[:got], src.data[off:off+int64(got)]) {
					t.Errorf("ReadAt(%d bytes at %d): wrong bytes", n, off)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestWindowReaderFetchFailure(t *testing.T) {
	read := func(t *testing.T, failures int) (failedAt int64, w *windowReader, src *slowSource) {
		src = newSlowSource(6*testWidth, time.Millisecond)
		src.failOff, src.failures = 2*testWidth, failures // window 2, fetched ahead
		var budget budgetProbe
		w = newWindowReader(src, int64(len(src.data)), testWidth, 3, budget.reserve)
		t.Cleanup(func() { w.Close() })
		p := make([]byte, 4096)
		for off := int64(0); off < int64(len(src.data)); off += int64(len(p)) {
			if _, err := w.ReadAt(p, off); err != nil {
				if !errors.Is(err, errInjected) {
					t.Fatalf("ReadAt %d: %v, want the fetch's error", off, err)
				}
				return off, w, src
			}
			if !bytes.Equal(p, src.data[off:off+int64(len(p))]) {
				t.Fatalf("ReadAt %d: wrong bytes", off)
			}
		}
		return -1, w, src
	}
	t.Run("fetch ahead fails once", func(t *testing.T) {
		failedAt, _, src := read(t, 1)
		if failedAt >= 0 {
			t.Fatalf("read failed at %d; a failed fetch ahead should be tried again when wanted", failedAt)
		}
		if r := src.requests.Load(); r != 7 {
			t.Errorf("%d requests, want 6 windows and one retry", r)
		}
	})
	t.Run("window fails when wanted", func(t *testing.T) {
		failedAt, w, src := read(t, 2)
		if failedAt != 2*testWidth {
			t.Fatalf("the failure surfaced at %d, want the first read of window 2", failedAt)
		}
		p := make([]byte, 4096)
		if _, err := w.ReadAt(p, failedAt); err != nil || !bytes.Equal(p, src.data[failedAt:failedAt+int64(len(p))]) {
			t.Fatalf("ReadAt again after a failed fetch: %v", err)
		}
	})
}
