package maintain

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// countingReaderAt counts the reads that reach the store.
type countingReaderAt struct {
	r     *bytes.Reader
	reads int
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.reads++
	return c.r.ReadAt(p, off)
}

func TestWindowReader(t *testing.T) {
	data := randomBytes(10000)
	tests := []struct {
		name      string
		window    int
		piece     int
		wantReads int
	}{
		{"small pieces, one window", 16384, 100, 1},
		{"small pieces, several windows", 4096, 1000, 3},
		{"pieces larger than the window go through", 1000, 2500, 4},
		{"uneven pieces", 3000, 700, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &countingReaderAt{r: bytes.NewReader(data)}
			w := newWindowReader(src, int64(len(data)), make([]byte, tt.window))
			var got []byte
			p := make([]byte, tt.piece)
			for off := int64(0); ; {
				n, err := w.ReadAt(p, off)
				got = append(got, p[:n]...)
				off += int64(n)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(got, data) {
				t.Fatal("data differs")
			}
			if src.reads != tt.wantReads {
				t.Errorf("%d store reads, want %d", src.reads, tt.wantReads)
			}
		})
	}
	// Backwards and repeated reads are correct too.
	w := newWindowReader(bytes.NewReader(data), int64(len(data)), make([]byte, 512))
	for _, off := range []int64{9000, 100, 9990, 100} {
		p := make([]byte, 10)
		if n, err := w.ReadAt(p, off); n != 10 || err != nil || !bytes.Equal(p, data[off:off+10]) {
			t.Errorf("ReadAt(%d): %d %v", off, n, err)
		}
	}
	if _, err := w.ReadAt(make([]byte, 1), int64(len(data))); !errors.Is(err, io.EOF) {
		t.Errorf("read at the end: %v", err)
	}
}
