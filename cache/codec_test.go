package cache

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/sealfs/sealfs/remote"
)

func TestDecodeAttrRejects(t *testing.T) {
	exp := time.Unix(2_000_000_000, 0)
	valid := encodeAttr(Attr{Size: 10, Version: "v", ModTime: time.Unix(5, 6)}, exp)
	header := appendHeader(nil, kindAttr, exp)
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"header only", header},
		{"unknown flag", append(append([]byte(nil), header...), 0x80, 0, 0)},
		{"negative size", append(binary.AppendVarint(append(append([]byte(nil), header...), 0), -1), 0)},
		{"nanoseconds out of range", append(binary.AppendUvarint(binary.AppendVarint(binary.AppendVarint(append(append([]byte(nil), header...), flagHasModTime), 1), 1), uint64(time.Second)), 0)},
		{"version longer than value", append(binary.AppendVarint(append(append([]byte(nil), header...), 0), 1), 9, 'x')},
		{"trailing byte", append(append([]byte(nil), valid...), 0)},
		{"truncated", valid[:len(valid)-1]},
		{"wrong kind", append([]byte{valueFormat, kindListing}, valid[2:]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := decodeAttr(tt.b); !errors.Is(err, errBadValue) {
				t.Fatalf("decodeAttr(% x) = %v, want errBadValue", tt.b, err)
			}
		})
	}
	if a, e, err := decodeAttr(valid); err != nil || !e.Equal(exp) || a.Size != 10 {
		t.Fatalf("valid value: %+v %v %v", a, e, err)
	}
}

func TestDecodeListingRejects(t *testing.T) {
	exp := time.Unix(2_000_000_000, 0)
	valid := encodeListing([]remote.Entry{{Info: remote.Info{Key: "a/b", Size: 3}}}, exp)
	header := appendHeader(nil, kindListing, exp)
	tests := []struct {
		name string
		b    []byte
	}{
		{"no count", header},
		{"count larger than data", binary.AppendUvarint(append([]byte(nil), header...), 1<<40)},
		{"count one too many", append(append([]byte(nil), valid[:valueHeaderSize]...), append([]byte{2}, valid[valueHeaderSize+1:]...)...)},
		{"trailing byte", append(append([]byte(nil), valid...), 0)},
		{"truncated", valid[:len(valid)-1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := decodeListing(tt.b); !errors.Is(err, errBadValue) {
				t.Fatalf("decodeListing(% x) = %v, want errBadValue", tt.b, err)
			}
		})
	}
	if e, _, err := decodeListing(valid); err != nil || len(e) != 1 || e[0].Key != "a/b" {
		t.Fatalf("valid value: %+v %v", e, err)
	}
}

func TestDecodeNegative(t *testing.T) {
	exp := time.Unix(2_000_000_000, 7)
	got, err := decodeNegative(encodeNegative(exp))
	if err != nil || !got.Equal(exp) {
		t.Fatalf("round trip: %v %v", got, err)
	}
	if _, err := decodeNegative(append(encodeNegative(exp), 0)); !errors.Is(err, errBadValue) {
		t.Fatalf("trailing byte: %v", err)
	}
}
