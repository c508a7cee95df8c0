package keyring

import (
	"errors"
	"io"
)

// errTooLarge means a key source produced more than maxKeySourceSize bytes.
var errTooLarge = errors.New("more than 4 KiB of output")

// secretBuffer collects up to a fixed number of secret bytes in one
// allocation that never grows, so wipe clears every copy it made.
// It implements io.ReaderFrom so io.Copy reads straight into it.
type secretBuffer struct {
	buf      []byte // len is the limit + 1, to detect overflow
	n        int
	overflow bool
}

// newSecretBuffer returns a buffer that accepts at most limit bytes.
func newSecretBuffer(limit int) *secretBuffer {
	return &secretBuffer{buf: make([]byte, limit+1)}
}

// ReadFrom reads r to EOF into the buffer, failing with errTooLarge past the limit.
func (b *secretBuffer) ReadFrom(r io.Reader) (int64, error) {
	start := b.n
	for {
		if b.n == len(b.buf) {
			b.overflow = true
			return int64(b.n - start), errTooLarge
		}
		m, err := r.Read(b.buf[b.n:])
		b.n += m
		if errors.Is(err, io.EOF) {
			return int64(b.n - start), nil
		}
		if err != nil {
			return int64(b.n - start), err
		}
	}
}

// Write appends p, failing with errTooLarge past the limit.
func (b *secretBuffer) Write(p []byte) (int, error) {
	m := copy(b.buf[b.n:], p)
	return m, b.advance(m, len(p))
}

// WriteString appends s without an intermediate []byte copy.
func (b *secretBuffer) WriteString(s string) (int, error) {
	m := copy(b.buf[b.n:], s)
	return m, b.advance(m, len(s))
}

// advance records m of want bytes copied and reports overflow.
func (b *secretBuffer) advance(m, want int) error {
	b.n += m
	if m < want || b.n == len(b.buf) {
		b.overflow = true
		return errTooLarge
	}
	return nil
}

// bytes returns the collected bytes; they alias the buffer.
func (b *secretBuffer) bytes() []byte { return b.buf[:b.n] }

// wipe zeroes the whole buffer.
func (b *secretBuffer) wipe() {
	clear(b.buf)
	b.n = 0
}
