package main

import (
	"bytes"
	"errors"
	"testing"
)

func TestPatternRoundTrip(t *testing.T) {
	p := newPattern(1 << 16)
	for _, n := range []int{0, 1, 15, 16, 17, 4096, 1 << 16} {
		for _, id := range []uint64{0, 1, 1 << 40} {
			written := bytes.Clone(p.block(id, n))
			if err := p.check(written, id); err != nil {
				t.Errorf("check(block(%d, %d)): %v", id, n, err)
			}
		}
	}
}

func TestPatternCatchesCorruption(t *testing.T) {
	p := newPattern(4096)
	good := bytes.Clone(p.block(7, 4096))
	tests := []struct {
		name   string
		mutate func([]byte) []byte
		id     uint64
	}{
		{name: "wrong id", mutate: func(b []byte) []byte { return b }, id: 8},
		{name: "flipped middle byte", mutate: func(b []byte) []byte { b[2000] ^= 1; return b }, id: 7},
		{name: "flipped head stamp", mutate: func(b []byte) []byte { b[0] ^= 1; return b }, id: 7},
		{name: "flipped tail stamp", mutate: func(b []byte) []byte { b[4095] ^= 1; return b }, id: 7},
		{name: "zeros", mutate: func(b []byte) []byte { return make([]byte, len(b)) }, id: 0},
		{name: "too long", mutate: func(b []byte) []byte { return append(b, make([]byte, 4096)...) }, id: 7},
		{name: "short block changed", mutate: func(b []byte) []byte { b = b[:10]; b[3] ^= 1; return b }, id: 7},
	}
	for _, tt := range tests {
		got := tt.mutate(bytes.Clone(good))
		if err := p.check(got, tt.id); !errors.Is(err, errContentMismatch) {
			t.Errorf("%s: check = %v, want errContentMismatch", tt.name, err)
		}
	}
}

func TestPatternIsDeterministic(t *testing.T) {
	a, b := newPattern(1024), newPattern(1024)
	if !bytes.Equal(a.base, b.base) {
		t.Fatal("two patterns of the same size differ")
	}
	if bytes.Equal(a.base[:512], make([]byte, 512)) {
		t.Fatal("pattern is all zeros")
	}
}
