package staging

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/sealfs/sealfs/keyring"
)

// tamperFixture is a closed staging file with chunk size 4096: slot 0 full,
// slot 1 a hole, slot 2 (the last) holding 100 bytes.
type tamperFixture struct {
	ring      *keyring.Keyring
	osPath    string
	headerLen int64
	dataStart int64
	want      []byte
}

const tamperChunk = 4096

func newTamperFixture(t *testing.T) *tamperFixture {
	t.Helper()
	ring := newRing(t, nil, 7)
	s, osPath := createStaged(t, ring, "tamper/path.db", tamperChunk)
	mustWrite(t, s, pattern(tamperChunk, 1), 0)
	mustWrite(t, s, pattern(100, 2), 2*tamperChunk)
	fx := &tamperFixture{ring: ring, osPath: osPath, headerLen: s.headerLen, dataStart: s.dataStart, want: readAll(t, s)}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return fx
}

// slotStart returns the OS offset of slot i.
func (fx *tamperFixture) slotStart(i int64) int64 {
	return fx.dataStart + i*(tamperChunk+slotOverhead)
}

// flip toggles one bit of the OS file in place.
func (fx *tamperFixture) flip(t *testing.T, off int64, bit uint) {
	t.Helper()
	f, err := os.OpenFile(fx.osPath, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 1 << bit
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// headerFieldError returns the error a bit flip at header offset off must give.
func headerFieldError(off int64) error {
	switch {
	case off < offVersion:
		return ErrNotStaging
	case off < offChunkLog:
		return ErrUnsupportedVersion
	case off < offKEKID:
		return ErrCorrupt // chunk size, reserved
	case off < offSalt:
		return keyring.ErrUnknownKEK
	case off < offVolume:
		return ErrWrongKey // salt, KCV
	}
	return ErrCorrupt // volume, path length, path, wrapped key, padding
}

func TestTamperedHeaderIsRefused(t *testing.T) {
	fx := newTamperFixture(t)
	for off := range fx.dataStart {
		for bit := range uint(8) {
			if off >= fx.headerLen && bit != uint(off%8) {
				continue // padding: one bit per byte is enough
			}
			fx.flip(t, off, bit)
			s, err := openStaged(t, fx.osPath, fx.ring)
			if want := headerFieldError(off); !errors.Is(err, want) || s != nil {
				t.Fatalf("byte %d bit %d: Open = %v, %v; want %v", off, bit, s, err, want)
			}
			fx.flip(t, off, bit)
		}
	}
	if got := readAll(t, mustOpen(t, fx.osPath, fx.ring)); !bytes.Equal(got, fx.want) {
		t.Fatal("file differs after restoring every flip")
	}
}

func TestTamperedSlotIsRefused(t *testing.T) {
	fx := newTamperFixture(t)
	tests := []struct {
		name     string
		slot     int64
		bytes    int64
		failOpen bool // the last slot is verified by Open
	}{
		{"full slot", 0, slotOverhead + tamperChunk, false},
		{"hole", 1, slotOverhead + tamperChunk, false},
		{"last slot", 2, slotOverhead + 100, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for off := range tt.bytes {
				for bit := range uint(8) {
					if off >= slotHeadSize+64 && off < tt.bytes-64 && bit != uint(off%8) {
						continue // inside the body one bit per byte is enough
					}
					fx.flip(t, fx.slotStart(tt.slot)+off, bit)
					s, err := openStaged(t, fx.osPath, fx.ring)
					if tt.failOpen {
						if !errors.Is(err, ErrCorrupt) || s != nil {
							t.Fatalf("slot byte %d bit %d: Open = %v, %v; want ErrCorrupt", off, bit, s, err)
						}
					} else {
						if err != nil {
							t.Fatalf("slot byte %d bit %d: Open: %v", off, bit, err)
						}
						checkCorruptRead(t, s, tt.slot*tamperChunk)
						if err := s.Close(); err != nil {
							t.Fatal(err)
						}
					}
					fx.flip(t, fx.slotStart(tt.slot)+off, bit)
				}
			}
		})
	}
}

// checkCorruptRead reads a range that covers plaintext offset off and
// requires ErrCorrupt with no bytes.
func checkCorruptRead(t *testing.T, s *File, off int64) {
	t.Helper()
	p := bytes.Repeat([]byte{0xaa}, 2*tamperChunk)
	n, err := s.ReadAt(p, max(0, off-10))
	if !errors.Is(err, ErrCorrupt) || n != 0 || !allZero(p) {
		t.Fatalf("ReadAt over a tampered slot = %d, %v (buffer zeroed: %v); want 0, ErrCorrupt", n, err, allZero(p))
	}
}

func TestMovedSlotIsRefused(t *testing.T) {
	fx := newTamperFixture(t)
	raw, err := os.ReadFile(fx.osPath)
	if err != nil {
		t.Fatal(err)
	}
	// Copy slot 0 (full, valid) over the hole at slot 1.
	copy(raw[fx.slotStart(1):fx.slotStart(2)], raw[fx.slotStart(0):fx.slotStart(1)])
	if err := os.WriteFile(fx.osPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, fx.osPath, fx.ring)
	checkCorruptRead(t, s, tamperChunk)
}

func TestHeaderOfAnotherFileIsRefused(t *testing.T) {
	fx := newTamperFixture(t)
	other, otherPath := createStaged(t, fx.ring, "tamper/path.db", tamperChunk)
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	head, err := os.ReadFile(otherPath)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(fx.osPath)
	if err != nil {
		t.Fatal(err)
	}
	copy(raw, head)
	if err := os.WriteFile(fx.osPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := openStaged(t, fx.osPath, fx.ring); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open with another file's header = %v, %v; want ErrCorrupt", s, err)
	}
}

func TestTruncatedFileIsRefused(t *testing.T) {
	fx := newTamperFixture(t)
	raw, err := os.ReadFile(fx.osPath)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		size int64
		want error
	}{
		{0, ErrNotStaging},
		{5, ErrNotStaging},
		{offVersion, ErrCorrupt},
		{offVersion + 1, ErrCorrupt},
		{fixedSize, ErrCorrupt},
		{fx.headerLen - 1, ErrCorrupt},
		{fx.slotStart(2) + slotLenSize + 1, ErrCorrupt},
		{fx.slotStart(2) + slotOverhead + 99, ErrCorrupt},
	}
	for _, tt := range tests {
		if err := os.WriteFile(fx.osPath, raw[:tt.size], 0o600); err != nil {
			t.Fatal(err)
		}
		if s, err := openStaged(t, fx.osPath, fx.ring); !errors.Is(err, tt.want) || s != nil {
			t.Errorf("cut at %d: Open = %v, %v; want %v", tt.size, s, err, tt.want)
		}
	}
}

func TestTrailingZerosAreIgnored(t *testing.T) {
	fx := newTamperFixture(t)
	f, err := os.OpenFile(fx.osPath, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A crash can leave the OS file longer than its last slot.
	if err := f.Truncate(fx.slotStart(9) + 10); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, fx.osPath, fx.ring)
	if !bytes.Equal(readAll(t, s), fx.want) {
		t.Fatal("trailing zero slots changed the contents")
	}
}
