package dicom

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrNotPart10 reports bytes that are not a DICOM Part-10 file with an
// explicit group length in its file meta information.
var ErrNotPart10 = errors.New("not a DICOM Part-10 file")

// Dataset returns the part of a Part-10 file after its preamble, "DICM" and
// group 0002 meta information. A DICOM receiver (C-STORE) rewrites the meta
// information but keeps the dataset, so tests compare datasets.
func Dataset(file []byte) ([]byte, error) {
	const lengthEnd = 128 + 4 + 12 // preamble, DICM, (0002,0000) UL 4 value
	if len(file) < lengthEnd || string(file[128:132]) != "DICM" {
		return nil, fmt.Errorf("%w: no DICM prefix", ErrNotPart10)
	}
	head := file[132:lengthEnd]
	if binary.LittleEndian.Uint16(head[0:]) != 0x0002 || binary.LittleEndian.Uint16(head[2:]) != 0x0000 ||
		string(head[4:6]) != "UL" || binary.LittleEndian.Uint16(head[6:]) != 4 {
		return nil, fmt.Errorf("%w: no (0002,0000) group length", ErrNotPart10)
	}
	length := uint64(binary.LittleEndian.Uint32(head[8:]))
	if length > uint64(len(file)-lengthEnd) {
		return nil, fmt.Errorf("%w: meta group length %d beyond the end of the file", ErrNotPart10, length)
	}
	return file[lengthEnd+int(length):], nil
}
