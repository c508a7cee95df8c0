package envelope

import (
	"encoding/hex"
	"strings"
)

// Identity names what an object is: the volume it belongs to and its logical
// path in that volume. The body key is derived from it, so an object opens
// only under the identity it was sealed for.
type Identity struct {
	// Volume is the volume id: 16 random bytes made once per volume.
	Volume [16]byte
	// Path is the logical path, UTF-8, exactly as stored (no normalisation).
	Path string
}

// String returns the path followed by the first 4 bytes of the volume id in
// hex, for logs, audit lines and errors.
func (id Identity) String() string {
	var b strings.Builder
	b.Grow(len(id.Path) + 18)
	b.WriteString(id.Path)
	b.WriteString(" (volume ")
	b.WriteString(hex.EncodeToString(id.Volume[:4]))
	b.WriteString(")")
	return b.String()
}

// bytes returns the identity as bound into the body key: volume id ‖ path.
func (id Identity) bytes() []byte {
	b := make([]byte, 0, len(id.Volume)+len(id.Path))
	b = append(b, id.Volume[:]...)
	return append(b, id.Path...)
}
