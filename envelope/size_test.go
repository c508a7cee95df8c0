package envelope

import (
	"errors"
	"fmt"
	"testing"
)

func TestPlaintextSize(t *testing.T) {
	const c = MinChunkSize
	stride := int64(c + tagSize)
	tests := []struct {
		size      int64
		chunkSize int
		want      int64
		wantErr   error
	}{
		{0, c, 0, ErrTruncated},
		{HeaderSize, c, 0, ErrTruncated},
		{HeaderSize + tagSize - 1, c, 0, ErrTruncated},
		{HeaderSize + tagSize, c, 0, nil},
		{HeaderSize + tagSize + 1, c, 1, nil},
		{HeaderSize + stride, c, c, nil},
		{HeaderSize + stride + 1, c, 0, ErrInvalidLength},
		{HeaderSize + stride + tagSize, c, 0, ErrInvalidLength},
		{HeaderSize + stride + tagSize + 1, c, c + 1, nil},
		{HeaderSize + 2*stride, c, 2 * c, nil},
		{HeaderSize + (1<<32)*stride, c, (1 << 32) * c, nil},
		{HeaderSize + (1<<32)*stride + tagSize + 1, c, 0, ErrOutOfRange},
		{HeaderSize + (1<<32)*int64(MaxChunkSize+tagSize), MaxChunkSize, (1 << 32) * MaxChunkSize, nil},
		{HeaderSize + tagSize + 1, 0, 0, ErrOutOfRange},
		{HeaderSize + tagSize + 1, 3000, 0, ErrOutOfRange},
		{HeaderSize + tagSize + 1, 2 * MaxChunkSize, 0, ErrOutOfRange},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("S=%d/C=%d", tt.size, tt.chunkSize), func(t *testing.T) {
			got, err := PlaintextSize(tt.size, tt.chunkSize)
			if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("PlaintextSize = %d, %v; want %d, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestCiphertextSize(t *testing.T) {
	const c = MinChunkSize
	tests := []struct {
		plain     int64
		chunkSize int
		want      int64
	}{
		{0, c, HeaderSize + tagSize},
		{1, c, HeaderSize + 1 + tagSize},
		{c, c, HeaderSize + c + tagSize},
		{c + 1, c, HeaderSize + c + 1 + 2*tagSize},
		{9000, c, HeaderSize + 9000 + 3*tagSize},
		{64 << 20, DefaultChunkSize, HeaderSize + 64<<20 + 1024*tagSize},
		{(1 << 32) * c, c, HeaderSize + (1<<32)*(c+tagSize)},
		{(1<<32)*c + 1, c, -1},
		{-1, c, -1},
		{10, 0, -1},
		{10, 5000, -1},
		{10, 2 * MaxChunkSize, -1},
	}
	for _, tt := range tests {
		if got := CiphertextSize(tt.plain, tt.chunkSize); got != tt.want {
			t.Errorf("CiphertextSize(%d, %d) = %d, want %d", tt.plain, tt.chunkSize, got, tt.want)
		}
	}
}

// TestSizesAreABijection checks every object size over a few chunks: each
// either has no plaintext size or maps back to itself.
func TestSizesAreABijection(t *testing.T) {
	for _, c := range []int{MinChunkSize, 8 << 10} {
		valid := 0
		for s := int64(0); s < HeaderSize+3*int64(c+tagSize)+40; s++ {
			p, err := PlaintextSize(s, c)
			if err != nil {
				if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrInvalidLength) {
					t.Fatalf("PlaintextSize(%d, %d): unexpected %v", s, c, err)
				}
				continue
			}
			valid++
			if back := CiphertextSize(p, c); back != s {
				t.Fatalf("C=%d: S=%d -> P=%d -> S=%d", c, s, p, back)
			}
		}
		// Every P from 0 to 3C+23 (where the loop stops) has exactly one S.
		if want := 3*c + 24; valid != want {
			t.Fatalf("C=%d: %d valid sizes, want %d", c, valid, want)
		}
	}
}
