package envelope

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/sealfs/sealfs/keyring"
)

// roundTripSizes returns the plaintext sizes worth testing for chunk size c.
func roundTripSizes(c int) []int {
	return []int{0, 1, c - 1, c, c + 1, 2 * c, 2*c + 1, 5*c + 7, 17*c + 3, 33 * c}
}

func TestRoundTrip(t *testing.T) {
	ring := ringWith(t, nil, kek1Current)
	id := vectorIdentity()
	for _, c := range []int{MinChunkSize, 8 << 10, DefaultChunkSize} {
		for _, size := range roundTripSizes(c) {
			t.Run(fmt.Sprintf("C=%d/P=%d", c, size), func(t *testing.T) {
				plain := pattern(size)
				obj := sealObject(t, ring, id, c, plain, sealHooks{})
				if got, want := int64(len(obj)), CiphertextSize(int64(size), c); got != want {
					t.Fatalf("object is %d bytes, CiphertextSize says %d", got, want)
				}
				if got, err := PlaintextSize(int64(len(obj)), c); err != nil || got != int64(size) {
					t.Fatalf("PlaintextSize = %d, %v; want %d", got, err, size)
				}
				r, err := openObject(obj, ring, id)
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				if r.Size() != int64(size) || r.ChunkSize() != c || r.KEKID() != 1 {
					t.Fatalf("Size, ChunkSize, KEKID = %d, %d, %d; want %d, %d, 1", r.Size(), r.ChunkSize(), r.KEKID(), size, c)
				}
				if err := r.Verify(); err != nil {
					t.Fatalf("Verify: %v", err)
				}
				checkReadAt(t, r, plain, 0, size)
				for b := 0; b <= size+c; b += c {
					for _, off := range []int{b - 1, b, b + 1} {
						for _, n := range []int{0, 1, c - 1, c, c + 1, 3*c + 2} {
							if off >= 0 {
								checkReadAt(t, r, plain, off, n)
							}
						}
					}
				}
				checkReadAt(t, r, plain, size, 10)
				checkReadAt(t, r, plain, size+1, 10)
				checkReadAt(t, r, plain, size+c*40, 1)
			})
		}
	}
}

// checkReadAt compares r.ReadAt(n bytes at off) with io.ReaderAt semantics over plain.
func checkReadAt(t *testing.T, r *Reader, plain []byte, off, n int) {
	t.Helper()
	buf := make([]byte, n)
	got, err := r.ReadAt(buf, int64(off))
	want, wantErr := 0, io.EOF // at or past the end
	if off < len(plain) {
		want = min(n, len(plain)-off)
		if want == n {
			wantErr = nil
		}
	}
	if got != want || err != wantErr {
		t.Fatalf("ReadAt(%d bytes at %d) = %d, %v; want %d, %v", n, off, got, err, want, wantErr)
	}
	if got > 0 && !bytes.Equal(buf[:got], plain[off:off+got]) {
		t.Fatalf("ReadAt(%d bytes at %d): wrong bytes", n, off)
	}
}

// TestWritePatternsGiveSameObject writes the same plaintext in different
// piece sizes and through ReadFrom; with the same randomness every object
// must be byte-identical to the one-Write object.
func TestWritePatternsGiveSameObject(t *testing.T) {
	ring := ringWith(t, nil, kek1Current)
	id := vectorIdentity()
	for _, c := range []int{MinChunkSize, 8 << 10} {
		for _, size := range roundTripSizes(c) {
			plain := pattern(size)
			want := sealObject(t, ring, id, c, plain, sealHooks{rand: newCounterStream("patterns")})
			for _, piece := range []int{1, 7, 13, c - 3, c, c + 5, 3 * c} {
				t.Run(fmt.Sprintf("C=%d/P=%d/write-%d", c, size, piece), func(t *testing.T) {
					var out bytes.Buffer
					w, err := NewWriter(&out, ring, id, WriterOptions{ChunkSize: c, hooks: sealHooks{rand: newCounterStream("patterns")}})
					if err != nil {
						t.Fatal(err)
					}
					for rest := plain; len(rest) > 0; {
						k := min(piece, len(rest))
						if n, err := w.Write(rest[:k]); n != k || err != nil {
							t.Fatalf("Write = %d, %v", n, err)
						}
						rest = rest[k:]
					}
					if w.Size() != int64(size) {
						t.Fatalf("Size = %d, want %d", w.Size(), size)
					}
					if err := w.Close(); err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(out.Bytes(), want) {
						t.Fatal("object differs from the one-Write object")
					}
				})
				t.Run(fmt.Sprintf("C=%d/P=%d/readfrom-%d", c, size, piece), func(t *testing.T) {
					var out bytes.Buffer
					w, err := NewWriter(&out, ring, id, WriterOptions{ChunkSize: c, hooks: sealHooks{rand: newCounterStream("patterns")}})
					if err != nil {
						t.Fatal(err)
					}
					n, err := io.Copy(w, &pieceReader{data: plain, piece: piece})
					if n != int64(size) || err != nil {
						t.Fatalf("io.Copy = %d, %v", n, err)
					}
					if err := w.Close(); err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(out.Bytes(), want) {
						t.Fatal("object differs from the one-Write object")
					}
				})
			}
		}
	}
}

// pieceReader returns at most piece bytes per Read, and io.EOF with the last data.
type pieceReader struct {
	data  []byte
	piece int
}

func (r *pieceReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.piece)], r.data)
	r.data = r.data[n:]
	if len(r.data) == 0 {
		return n, io.EOF
	}
	return n, nil
}

func TestConcurrentReadAt(t *testing.T) {
	ring := ringWith(t, nil, kek1Current)
	id := vectorIdentity()
	plain := pattern(40*MinChunkSize + 123)
	obj := sealObject(t, ring, id, MinChunkSize, plain, sealHooks{})
	r, err := openObject(obj, ring, id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for range 200 {
				off := rng.IntN(len(plain))
				buf := make([]byte, rng.IntN(3*MinChunkSize)+1)
				n, err := r.ReadAt(buf, int64(off))
				if err != nil && !errors.Is(err, io.EOF) {
					errs <- err
					return
				}
				if !bytes.Equal(buf[:n], plain[off:off+n]) {
					errs <- fmt.Errorf("wrong bytes at %d", off)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// countingReaderAt records every ReadAt call.
type countingReaderAt struct {
	r     io.ReaderAt
	mu    sync.Mutex
	calls [][2]int64 // offset, length
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.mu.Lock()
	c.calls = append(c.calls, [2]int64{off, int64(len(p))})
	c.mu.Unlock()
	return c.r.ReadAt(p, off)
}

func TestReadAtFetchesOnlyTouchedChunks(t *testing.T) {
	const c = MinChunkSize
	stride := int64(c + tagSize)
	ring := ringWith(t, nil, kek1Current)
	id := vectorIdentity()
	plain := pattern(40*c + 100) // 41 chunks
	obj := sealObject(t, ring, id, c, plain, sealHooks{})
	tests := []struct {
		name      string
		off, n    int
		wantCalls [][2]int64
	}{
		{"inside one chunk", 5*c + 10, 100, [][2]int64{{HeaderSize + 5*stride, stride}}},
		{"across two chunks", 6*c - 10, 20, [][2]int64{{HeaderSize + 5*stride, 2 * stride}}},
		{"whole final chunk", 40 * c, 100, [][2]int64{{HeaderSize + 40*stride, 100 + tagSize}}},
		{"40 chunks in runs of 16", 0, 40 * c, [][2]int64{
			{HeaderSize, 16 * stride}, {HeaderSize + 16*stride, 16 * stride}, {HeaderSize + 32*stride, 8 * stride}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &countingReaderAt{r: bytes.NewReader(obj)}
			r, err := Open(src, int64(len(obj)), ring, id)
			if err != nil {
				t.Fatal(err)
			}
			src.calls = nil
			buf := make([]byte, tt.n)
			if n, err := r.ReadAt(buf, int64(tt.off)); n != tt.n || err != nil {
				t.Fatalf("ReadAt = %d, %v", n, err)
			}
			if !bytes.Equal(buf, plain[tt.off:tt.off+tt.n]) {
				t.Fatal("wrong bytes")
			}
			if fmt.Sprint(src.calls) != fmt.Sprint(tt.wantCalls) {
				t.Fatalf("src.ReadAt calls %v, want %v", src.calls, tt.wantCalls)
			}
		})
	}
}

func TestReaderMisuse(t *testing.T) {
	ring := ringWith(t, nil, kek1Current)
	id := vectorIdentity()
	obj := sealObject(t, ring, id, MinChunkSize, pattern(100), sealHooks{})
	r, err := openObject(obj, ring, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadAt(make([]byte, 1), -1); !errors.Is(err, fs.ErrInvalid) {
		t.Fatalf("ReadAt at -1: %v, want fs.ErrInvalid", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if n, err := r.ReadAt(make([]byte, 1), 0); n != 0 || !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("ReadAt after Close = %d, %v; want 0, fs.ErrClosed", n, err)
	}
	if err := r.Verify(); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("Verify after Close: %v, want fs.ErrClosed", err)
	}
}

// failingWriter accepts limit bytes, then fails.
type failingWriter struct {
	limit int
	short bool // fail by a short write with a nil error
}

var errSink = errors.New("sink failed")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) <= w.limit {
		w.limit -= len(p)
		return len(p), nil
	}
	n := w.limit
	w.limit = 0
	if w.short {
		return n, nil
	}
	return n, errSink
}

func TestWriterErrors(t *testing.T) {
	ring := ringWith(t, nil, kek1Current)
	id := vectorIdentity()

	if _, err := NewWriter(io.Discard, ring, id, WriterOptions{ChunkSize: 5000}); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("chunk size 5000: %v, want ErrOutOfRange", err)
	}
	if _, err := NewWriter(io.Discard, ring, id, WriterOptions{ChunkSize: 2 * MaxChunkSize}); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("chunk size 2 MiB: %v, want ErrOutOfRange", err)
	}
	if _, err := NewWriter(io.Discard, ringWith(t, nil, kek1Old), id, WriterOptions{}); !errors.Is(err, keyring.ErrNoCurrentKEK) {
		t.Errorf("no current KEK: %v, want keyring.ErrNoCurrentKEK", err)
	}
	if _, err := NewWriter(&failingWriter{limit: 10}, ring, id, WriterOptions{}); !errors.Is(err, errSink) {
		t.Errorf("header write failure: %v, want errSink", err)
	}
	if _, err := NewWriter(&failingWriter{limit: 10, short: true}, ring, id, WriterOptions{}); !errors.Is(err, io.ErrShortWrite) {
		t.Errorf("short header write: %v, want io.ErrShortWrite", err)
	}

	// A sink failing in the body: the error sticks through Write and Close.
	w, err := NewWriter(&failingWriter{limit: HeaderSize + 10}, ring, id, WriterOptions{ChunkSize: MinChunkSize})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(pattern(3 * MinChunkSize)); !errors.Is(err, errSink) {
		t.Errorf("Write: %v, want errSink", err)
	}
	if _, err := w.Write([]byte{1}); !errors.Is(err, errSink) {
		t.Errorf("Write after failure: %v, want errSink", err)
	}
	if err := w.Close(); !errors.Is(err, errSink) {
		t.Errorf("Close: %v, want errSink", err)
	}
	if err := w.Close(); !errors.Is(err, errSink) {
		t.Errorf("second Close: %v, want errSink again", err)
	}

	// The same through ReadFrom (io.Copy), and a failing source.
	w, err = NewWriter(&failingWriter{limit: HeaderSize + 10}, ring, id, WriterOptions{ChunkSize: MinChunkSize})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(w, bytes.NewReader(pattern(3*MinChunkSize))); !errors.Is(err, errSink) {
		t.Errorf("ReadFrom into a failing sink: %v, want errSink", err)
	}
	errSource := errors.New("source failed")
	w, err = NewWriter(io.Discard, ring, id, WriterOptions{ChunkSize: MinChunkSize})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := w.ReadFrom(io.MultiReader(bytes.NewReader(pattern(10)), iotest.ErrReader(errSource))); n != 10 || !errors.Is(err, errSource) {
		t.Errorf("ReadFrom from a failing source = %d, %v; want 10, errSource", n, err)
	}

	// Failure when the final chunk is sealed by Close.
	w, err = NewWriter(&failingWriter{limit: HeaderSize}, ring, id, WriterOptions{ChunkSize: MinChunkSize})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); !errors.Is(err, errSink) {
		t.Errorf("Close: %v, want errSink", err)
	}

	// A closed writer refuses data; Close stays idempotent.
	w, err = NewWriter(io.Discard, ring, id, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Write after Close: %v, want fs.ErrClosed", err)
	}
	if _, err := w.ReadFrom(bytes.NewReader([]byte("x"))); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("ReadFrom after Close: %v, want fs.ErrClosed", err)
	}
}

func TestRandomnessFailure(t *testing.T) {
	ring := ringWith(t, nil, kek1Current)
	for _, n := range []int{0, 40, 70} { // fails in the DEK, the body salt, the wrap salt
		src := io.LimitReader(newCounterStream("short"), int64(n))
		if _, err := NewWriter(io.Discard, ring, vectorIdentity(), WriterOptions{hooks: sealHooks{rand: src}}); !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			t.Errorf("randomness ending after %d bytes: %v, want an EOF error", n, err)
		}
	}
}
