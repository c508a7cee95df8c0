package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
)

// errContentMismatch reports bytes read back that differ from those written.
var errContentMismatch = errors.New("content read back differs from what was written")

// stampSize is the width of the id written at both ends of each block.
const stampSize = 8

// patternSeed fixes the pseudo-random pattern so that runs are comparable.
var patternSeed = [32]byte{'s', 'e', 'a', 'l', 'f', 's', '-', 'b', 'e', 'n', 'c', 'h'}

// pattern is deterministic, incompressible test data. Each block written is
// a prefix of the base bytes with an id stamped into its first and last
// eight bytes, so that a block served for the wrong offset or file, or a
// block of zeros, is caught, while stamping and checking cost almost nothing
// next to the I/O being measured.
type pattern struct {
	base    []byte // never changes after newPattern
	work    []byte // base with the last block's stamps written; handed to write()
	stamped int    // length of the last block stamped into work, 0 for none
}

// newPattern returns a pattern able to produce blocks of up to size bytes.
func newPattern(size int) *pattern {
	base := make([]byte, size)
	rng := rand.NewChaCha8(patternSeed)
	_, _ = rng.Read(base) // ChaCha8.Read never fails
	return &pattern{base: base, work: bytes.Clone(base)}
}

// block returns the n-byte block stamped with id. The slice is reused by the
// next call.
func (p *pattern) block(id uint64, n int) []byte {
	if last := p.stamped; last > 0 { // undo the previous block's stamps
		copy(p.work[:stampSize], p.base)
		copy(p.work[last-stampSize:last], p.base[last-stampSize:])
		p.stamped = 0
	}
	out := p.work[:n]
	if n >= 2*stampSize {
		p.stamped = n
		binary.BigEndian.PutUint64(out[:stampSize], id)
		binary.BigEndian.PutUint64(out[n-stampSize:], id)
	}
	return out
}

// check returns an error wrapping errContentMismatch unless got is exactly
// the block that block(id, len(got)) produces.
func (p *pattern) check(got []byte, id uint64) error {
	n := len(got)
	if n > len(p.base) {
		return fmt.Errorf("%w: block of %d bytes, longer than any written", errContentMismatch, n)
	}
	if n < 2*stampSize {
		if !bytes.Equal(got, p.base[:n]) {
			return fmt.Errorf("%w: short block %d", errContentMismatch, id)
		}
		return nil
	}
	if head := binary.BigEndian.Uint64(got[:stampSize]); head != id {
		return fmt.Errorf("%w: block %d starts with the stamp of block %d", errContentMismatch, id, head)
	}
	if tail := binary.BigEndian.Uint64(got[n-stampSize:]); tail != id {
		return fmt.Errorf("%w: block %d ends with the stamp of block %d", errContentMismatch, id, tail)
	}
	if !bytes.Equal(got[stampSize:n-stampSize], p.base[stampSize:n-stampSize]) {
		return fmt.Errorf("%w: block %d differs inside", errContentMismatch, id)
	}
	return nil
}
