package dicom

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"
)

// Marker is the string hidden in every generated instance (patient name,
// a private text tag and the pixel data). It must never appear in a store.
const Marker = "SEALFS-PHI-MARKER"

// CT image geometry: 512×512 pixels of 16 bits, 12 of them used.
const (
	rows          = 512
	columns       = 512
	bytesPerPixel = 2
	// FrameSize is the size in bytes of one frame's pixel data.
	FrameSize = rows * columns * bytesPerPixel
)

// UIDs of the formats written.
const (
	ctImageStorage         = "1.2.840.10008.5.1.4.1.1.2"
	explicitVRLittleEndian = "1.2.840.10008.1.2.1"
	implementationClassUID = "2.25.118406245209637409311244498727262451401"
	implementationVersion  = "SEALFS_TEST_1"
	privateCreator         = "SEALFS TEST"
)

// CT describes one CT Image Storage instance. Every field is required
// except Frames (0 or 1: a single frame) and Seed (the pixel pattern).
type CT struct {
	PatientName       string
	PatientID         string
	StudyInstanceUID  string
	SeriesInstanceUID string
	SOPInstanceUID    string
	SeriesNumber      int
	InstanceNumber    int
	Frames            int
	Seed              uint64
}

// Encode returns the instance as a DICOM Part-10 file. The same CT always
// gives the same bytes.
func (c CT) Encode() []byte {
	frames := max(c.Frames, 1)
	pixels := frames * FrameSize
	w := &writer{buf: make([]byte, 0, 2048+pixels)}
	w.buf = append(w.buf, make([]byte, 128)...) // preamble
	w.buf = append(w.buf, "DICM"...)
	w.meta(c.SOPInstanceUID)

	w.text(0x0008, 0x0016, "UI", ctImageStorage)
	w.text(0x0008, 0x0018, "UI", c.SOPInstanceUID)
	w.text(0x0008, 0x0020, "DA", "20260101")
	w.text(0x0008, 0x0060, "CS", "CT")
	w.text(0x0010, 0x0010, "PN", c.PatientName)
	w.text(0x0010, 0x0020, "LO", c.PatientID)
	w.text(0x0020, 0x000D, "UI", c.StudyInstanceUID)
	w.text(0x0020, 0x000E, "UI", c.SeriesInstanceUID)
	w.text(0x0020, 0x0011, "IS", strconv.Itoa(c.SeriesNumber))
	w.text(0x0020, 0x0013, "IS", strconv.Itoa(c.InstanceNumber))
	w.uint16(0x0028, 0x0002, 1) // SamplesPerPixel
	w.text(0x0028, 0x0004, "CS", "MONOCHROME2")
	if frames > 1 {
		w.text(0x0028, 0x0008, "IS", strconv.Itoa(frames))
	}
	w.uint16(0x0028, 0x0010, rows)
	w.uint16(0x0028, 0x0011, columns)
	w.uint16(0x0028, 0x0100, 16) // BitsAllocated
	w.uint16(0x0028, 0x0101, 12) // BitsStored
	w.uint16(0x0028, 0x0102, 11) // HighBit
	w.uint16(0x0028, 0x0103, 0)  // PixelRepresentation: unsigned
	w.text(0x0029, 0x0010, "LO", privateCreator)
	w.text(0x0029, 0x1000, "LT", "note: "+Marker+" "+c.PatientID)
	w.long(0x7FE0, 0x0010, "OW", pixelData(c.Seed, pixels))
	return w.buf
}

// pixelData fills n bytes with 12-bit pseudo-random pixels drawn from seed
// and writes Marker into the middle of the first frame.
func pixelData(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 0x5ea1f5))
	out := make([]byte, n)
	for i := 0; i+1 < n; i += 2 {
		binary.LittleEndian.PutUint16(out[i:], uint16(rng.Uint32()&0x0FFF))
	}
	copy(out[min(n, FrameSize)/2:], Marker)
	return out
}

// UID returns a deterministic UID under the 2.25 (UUID-derived) root built
// from the given numbers, such as UID(seed, patient, study).
func UID(parts ...uint64) string {
	uid := "2.25.99"
	for _, p := range parts {
		uid += "." + strconv.FormatUint(p, 10)
	}
	if len(uid) > 64 {
		panic(fmt.Sprintf("dicom: UID %q is longer than 64 characters", uid))
	}
	return uid
}
