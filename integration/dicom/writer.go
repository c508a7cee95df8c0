package dicom

import "encoding/binary"

// writer appends explicit VR little endian data elements to buf.
type writer struct {
	buf []byte
}

// meta writes the group 0002 file meta information, group length first.
func (w *writer) meta(sopInstanceUID string) {
	group := &writer{}
	group.long(0x0002, 0x0001, "OB", []byte{0, 1})
	group.text(0x0002, 0x0002, "UI", ctImageStorage)
	group.text(0x0002, 0x0003, "UI", sopInstanceUID)
	group.text(0x0002, 0x0010, "UI", explicitVRLittleEndian)
	group.text(0x0002, 0x0012, "UI", implementationClassUID)
	group.text(0x0002, 0x0013, "SH", implementationVersion)
	w.header(0x0002, 0x0000, "UL", 4)
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(len(group.buf)))
	w.buf = append(w.buf, group.buf...)
}

// text writes a string value, padded to an even length: UIDs with a NUL,
// everything else with a space.
func (w *writer) text(group, element uint16, vr, value string) {
	v := []byte(value)
	if len(v)%2 == 1 {
		pad := byte(' ')
		if vr == "UI" {
			pad = 0
		}
		v = append(v, pad)
	}
	if vr == "UT" {
		w.long(group, element, vr, v)
		return
	}
	w.header(group, element, vr, len(v))
	w.buf = append(w.buf, v...)
}

// uint16 writes one US value.
func (w *writer) uint16(group, element uint16, value uint16) {
	w.header(group, element, "US", 2)
	w.buf = binary.LittleEndian.AppendUint16(w.buf, value)
}

// long writes an element whose VR has a 32-bit length (OB, OW, UT).
func (w *writer) long(group, element uint16, vr string, value []byte) {
	w.buf = binary.LittleEndian.AppendUint16(w.buf, group)
	w.buf = binary.LittleEndian.AppendUint16(w.buf, element)
	w.buf = append(w.buf, vr...)
	w.buf = append(w.buf, 0, 0)
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(len(value)))
	w.buf = append(w.buf, value...)
}

// header writes tag, VR and a 16-bit length.
func (w *writer) header(group, element uint16, vr string, length int) {
	w.buf = binary.LittleEndian.AppendUint16(w.buf, group)
	w.buf = binary.LittleEndian.AppendUint16(w.buf, element)
	w.buf = append(w.buf, vr...)
	w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(length))
}
