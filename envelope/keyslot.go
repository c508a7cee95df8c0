package envelope

import (
	"crypto/subtle"
	"encoding/binary"
	"fmt"

	"github.com/sealfs/sealfs/keyring"
)

// sealKeySlot fills h's key slot: kek_id, a fresh wrap salt, the key check
// value and the DEK sealed under K_wrap with the immutable part ‖ kek_id as
// associated data. h's immutable part must already be final.
func sealKeySlot(h *objectHeader, kek *keyring.KEK, dek []byte, hooks sealHooks) error {
	binary.BigEndian.PutUint32(h[offKEKID:], kek.ID())
	if err := hooks.random(h.wrapSalt()); err != nil {
		return err
	}
	kWrap, kcv, err := deriveWrapKey(kek, h.wrapSalt(), h.kekIDBytes())
	if err != nil {
		return fmt.Errorf("kek %d: %w", kek.ID(), err)
	}
	defer clear(kWrap)
	aead, err := newAEAD(kWrap)
	if err != nil {
		return fmt.Errorf("kek %d: %w", kek.ID(), err)
	}
	copy(h.kcv(), kcv)
	// The nonce is all zeros: each K_wrap seals exactly one message, because
	// every wrap draws a fresh 32-byte wrap salt.
	var nonce [nonceSize]byte
	hooks.observe(kWrap, nonce[:])
	aead.Seal(h.wrappedDEK()[:0], nonce[:], dek, h.wrapAAD())
	return nil
}

// unlockKeySlot checks h's key slot and identity: it fetches the KEK named by
// kek_id (the keyring refuses and audits unknown and revoked ids), compares
// the key check value, unwraps the DEK and compares the identity check value
// for id. It returns the DEK and K_body, which the caller clears. Failures
// after the keyring lookup are reported to the keyring's auditor.
func unlockKeySlot(h *objectHeader, ring *keyring.Keyring, id Identity) (dek, kBody []byte, err error) {
	kekID := h.kekID()
	object := id.String()
	kek, err := ring.ForDecrypt(kekID, object)
	if err != nil {
		return nil, nil, fmt.Errorf("envelope: %s: kek %d: %w", object, kekID, err)
	}
	fail := func(sentinel error) error {
		err := fmt.Errorf("envelope: %s: kek %d: %w", object, kekID, sentinel)
		ring.ReportUnwrapFailure(kekID, object, err)
		return err
	}

	kWrap, kcv, err := deriveWrapKey(kek, h.wrapSalt(), h.kekIDBytes())
	if err != nil {
		return nil, nil, fmt.Errorf("envelope: %s: kek %d: %w", object, kekID, err)
	}
	defer clear(kWrap)
	if subtle.ConstantTimeCompare(kcv, h.kcv()) != 1 {
		return nil, nil, fail(ErrWrongKey)
	}
	aead, err := newAEAD(kWrap)
	if err != nil {
		return nil, nil, fmt.Errorf("envelope: %s: kek %d: %w", object, kekID, err)
	}
	var nonce [nonceSize]byte
	dek, err = aead.Open(make([]byte, 0, keySize), nonce[:], h.wrappedDEK(), h.wrapAAD())
	if err != nil {
		return nil, nil, fail(ErrHeaderTampered)
	}
	kBody, icv, err := deriveBodyKey(dek, h, id)
	if err != nil {
		clear(dek)
		return nil, nil, fmt.Errorf("envelope: %s: %w", object, err)
	}
	if subtle.ConstantTimeCompare(icv, h.icv()) != 1 {
		clear(dek)
		clear(kBody)
		return nil, nil, fail(ErrIdentityMismatch)
	}
	return dek, kBody, nil
}
