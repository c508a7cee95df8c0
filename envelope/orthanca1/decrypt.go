package orthanca1

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"

	"github.com/sealfs/sealfs/keyring"
)

// Decrypt verifies an A1 object and returns its plaintext. The KEK is chosen
// by the object's exact key id with ring.ForDecrypt, so unknown and revoked
// ids fail with the keyring's errors (wrapped). object names the object in
// errors and audit lines. A failed check returns ErrAuthentication, is
// reported to the keyring's auditor, and never returns plaintext.
func Decrypt(obj []byte, ring *keyring.Keyring, object string) ([]byte, error) {
	id, err := keyID(obj)
	if err != nil {
		return nil, fmt.Errorf("orthanca1: %s: %w", object, err)
	}
	kek, err := ring.ForDecrypt(id, object)
	if err != nil {
		return nil, fmt.Errorf("orthanca1: %s: %w", object, err)
	}
	plaintext, err := open(obj, kek)
	if err != nil {
		err = fmt.Errorf("orthanca1: %s under key id %d: %w", object, id, err)
		if errors.Is(err, ErrAuthentication) {
			ring.ReportUnwrapFailure(id, object, err)
		}
		return nil, err
	}
	return plaintext, nil
}

// open unmasks the IV and DEK of obj with kek and opens the GCM message.
// The result is non-nil (possibly empty) on success and nil on failure.
func open(obj []byte, kek *keyring.KEK) ([]byte, error) {
	aead, iv, err := objectCipher(obj, kek)
	if err != nil {
		return nil, err
	}
	defer clear(iv)
	plaintext := make([]byte, 0, len(obj)-Overhead)
	plaintext, err = aead.Open(plaintext, iv, obj[prefixSize:], obj[:prefixSize])
	if err != nil {
		return nil, ErrAuthentication
	}
	return plaintext, nil
}

// objectCipher recovers the object's IV and builds the GCM cipher keyed by
// its DEK. The caller zeroes the returned IV.
func objectCipher(obj []byte, kek *keyring.KEK) (cipher.AEAD, []byte, error) {
	block, err := kek.Block()
	if err != nil {
		return nil, nil, err
	}
	ks := keystream(block)
	defer clear(ks)
	iv := make([]byte, maskSize)
	dek := make([]byte, maskSize)
	defer clear(dek)
	xorInto(iv, obj[eivOffset:edekOffset], ks)
	xorInto(dek, obj[edekOffset:prefixSize], ks)
	aead, err := newGCM(dek)
	if err != nil {
		clear(iv)
		return nil, nil, err
	}
	return aead, iv, nil
}

// newGCM returns AES-256-GCM under dek with the plugin's 32-byte nonce.
func newGCM(dek []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(dek)
	if err != nil {
		return nil, fmt.Errorf("orthanca1: data key: %w", err)
	}
	return cipher.NewGCMWithNonceSize(block, maskSize)
}
