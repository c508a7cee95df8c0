package cache

import (
	"encoding/binary"
	"fmt"
)

// State key file layout (all integers big-endian):
//
//	magic "sealfs-statekey\x00" (16) ‖ version 1 (1) ‖ kek_id (4) ‖
//	salt (32) ‖ key check value (16) ‖ wrapped state key (48)
const (
	stateKeyMagic   = "sealfs-statekey\x00"
	stateKeyVersion = 1

	stateKeySize   = 32
	wrapSaltSize   = 32
	checkValueSize = 16
	gcmTagSize     = 16
	wrappedSize    = stateKeySize + gcmTagSize

	offVersion = len(stateKeyMagic)
	offKEKID   = offVersion + 1
	offSalt    = offKEKID + 4
	offKCV     = offSalt + wrapSaltSize
	offWrapped = offKCV + checkValueSize

	stateKeyFileSize = offWrapped + wrappedSize
)

// stateKeyFile is the parsed content of a state key file. It holds no
// secret: the state key inside is wrapped.
type stateKeyFile struct {
	kekID   uint32
	salt    [wrapSaltSize]byte
	kcv     [checkValueSize]byte
	wrapped [wrappedSize]byte
}

// marshal returns the file's bytes.
func (f *stateKeyFile) marshal() []byte {
	b := make([]byte, 0, stateKeyFileSize)
	b = append(b, stateKeyMagic...)
	b = append(b, stateKeyVersion)
	b = binary.BigEndian.AppendUint32(b, f.kekID)
	b = append(b, f.salt[:]...)
	b = append(b, f.kcv[:]...)
	b = append(b, f.wrapped[:]...)
	return b
}

// parseStateKeyFile parses untrusted file bytes. It checks the layout only;
// authenticity is checked when the key is unwrapped.
func parseStateKeyFile(b []byte) (stateKeyFile, error) {
	var f stateKeyFile
	if len(b) != stateKeyFileSize {
		return f, fmt.Errorf("%w: %d bytes, want %d", ErrMalformedStateKey, len(b), stateKeyFileSize)
	}
	if string(b[:offVersion]) != stateKeyMagic {
		return f, fmt.Errorf("%w: bad magic", ErrMalformedStateKey)
	}
	if b[offVersion] != stateKeyVersion {
		return f, fmt.Errorf("%w: unsupported version %d", ErrMalformedStateKey, b[offVersion])
	}
	f.kekID = binary.BigEndian.Uint32(b[offKEKID:])
	copy(f.salt[:], b[offSalt:offKCV])
	copy(f.kcv[:], b[offKCV:offWrapped])
	copy(f.wrapped[:], b[offWrapped:])
	return f, nil
}

// kekIDBytes returns kek_id as it appears in the file.
func (f *stateKeyFile) kekIDBytes() []byte {
	return binary.BigEndian.AppendUint32(nil, f.kekID)
}
