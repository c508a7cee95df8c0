package staging

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"fmt"

	"github.com/sealfs/sealfs/keyring"
)

const wrapInfo = "sealfs/v1/stage-wrap"

// wrapKeys derives (K_wrap ‖ KCV) for the header's salt and kek_id. The
// caller zeroes the result; K_wrap is out[:32], KCV out[32:].
func wrapKeys(kek *keyring.KEK, h *header) ([]byte, error) {
	info := binary.BigEndian.AppendUint32([]byte(wrapInfo), h.kekID)
	out, err := kek.DeriveKey(h.salt[:], info, fileKeySize+kcvSize)
	if err != nil {
		return nil, fmt.Errorf("staging: deriving wrap key for key id %d: %w", h.kekID, err)
	}
	return out, nil
}

// wrapGCM returns AES-256-GCM under K_wrap.
func wrapGCM(kWrap []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(kWrap)
	if err != nil {
		return nil, fmt.Errorf("staging: wrap key: %w", err)
	}
	return cipher.NewGCM(block)
}

// sealKeySlot fills h.kcv and h.wrapped for fileKey under kek (h.kekID and
// h.salt set) and returns the encoded header.
func sealKeySlot(kek *keyring.KEK, h *header, fileKey *[fileKeySize]byte) ([]byte, error) {
	keys, err := wrapKeys(kek, h)
	if err != nil {
		return nil, err
	}
	defer clear(keys)
	copy(h.kcv[:], keys[fileKeySize:])
	aead, err := wrapGCM(keys[:fileKeySize])
	if err != nil {
		return nil, err
	}
	raw := h.marshal()
	aad := wrapAAD(raw)
	aead.Seal(raw[len(aad):len(aad)], make([]byte, aead.NonceSize()), fileKey[:], aad)
	copy(h.wrapped[:], raw[len(aad):])
	return raw, nil
}

// openKeySlot checks the KCV and unwraps the file key of the header raw
// into fileKey, which is left zero on failure.
func openKeySlot(kek *keyring.KEK, h *header, raw []byte, fileKey *[fileKeySize]byte) error {
	keys, err := wrapKeys(kek, h)
	if err != nil {
		return err
	}
	defer clear(keys)
	if subtle.ConstantTimeCompare(keys[fileKeySize:], h.kcv[:]) != 1 {
		return fmt.Errorf("key id %d: %w", h.kekID, ErrWrongKey)
	}
	aead, err := wrapGCM(keys[:fileKeySize])
	if err != nil {
		return err
	}
	if _, err := aead.Open(fileKey[:0], make([]byte, aead.NonceSize()), h.wrapped[:], wrapAAD(raw)); err != nil {
		clear(fileKey[:])
		return fmt.Errorf("%w: key slot fails authentication", ErrCorrupt)
	}
	return nil
}
