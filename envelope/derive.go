package envelope

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/sealfs/sealfs/keyring"
)

// deriveWrapKey returns K_wrap (32 bytes) and the key check value (16 bytes):
// HKDF-SHA256(KEK, wrap salt, "sealfs/v1/wrap" ‖ kek_id). The caller clears kWrap.
func deriveWrapKey(kek *keyring.KEK, wrapSalt, kekID []byte) (kWrap, kcv []byte, err error) {
	info := make([]byte, 0, len(wrapInfoLabel)+len(kekID))
	info = append(info, wrapInfoLabel...)
	info = append(info, kekID...)
	okm, err := kek.DeriveKey(wrapSalt, info, keySize+checkValueSize)
	if err != nil {
		return nil, nil, fmt.Errorf("deriving wrap key: %w", err)
	}
	return okm[:keySize], okm[keySize:], nil
}

// deriveBodyKey returns K_body (32 bytes) and the identity check value (16
// bytes): HKDF-SHA256(DEK, body salt, "sealfs/v1/body" ‖ uint32(len(immutable))
// ‖ immutable ‖ uint32(len(identity)) ‖ identity). The caller clears kBody.
func deriveBodyKey(dek []byte, h *objectHeader, id Identity) (kBody, icv []byte, err error) {
	imm, ident := h.immutable(), id.bytes()
	info := make([]byte, 0, len(bodyInfoLabel)+4+len(imm)+4+len(ident))
	info = append(info, bodyInfoLabel...)
	info = binary.BigEndian.AppendUint32(info, uint32(len(imm)))
	info = append(info, imm...)
	info = binary.BigEndian.AppendUint32(info, uint32(len(ident)))
	info = append(info, ident...)
	okm, err := hkdf.Key(sha256.New, dek, h.bodySalt(), string(info), keySize+checkValueSize)
	if err != nil {
		return nil, nil, fmt.Errorf("deriving body key: %w", err)
	}
	return okm[:keySize], okm[keySize:], nil
}

// newAEAD returns AES-256-GCM with a 12-byte nonce and 16-byte tag under key.
func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("AES key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("GCM: %w", err)
	}
	return aead, nil
}

// chunkNonce returns the nonce of chunk index: uint64(index) ‖ 3 zero bytes ‖ last flag.
func chunkNonce(index uint64, last bool) [nonceSize]byte {
	var n [nonceSize]byte
	binary.BigEndian.PutUint64(n[:8], index)
	if last {
		n[nonceSize-1] = 1
	}
	return n
}
