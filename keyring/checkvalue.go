package keyring

import (
	"cmp"
	"encoding/binary"
	"slices"
)

// CheckValueSize is the length of a KEK's key check value in bytes.
const CheckValueSize = 16

// checkValueLabel is the HKDF info prefix of a KEK's key check value.
const checkValueLabel = "sealfs/v1/kcv"

// CheckValue returns the KEK's key check value: HKDF-SHA256(ikm = KEK,
// salt = empty, info = "sealfs/v1/kcv" ‖ uint32 big-endian id), 16 bytes.
// It identifies the key without revealing it (an independent HKDF
// output), so it may be stored next to the data, as the volume file
// does, to refuse a wrong key under a known id before anything is read.
// Compare check values in constant time (crypto/subtle).
func (k *KEK) CheckValue() ([CheckValueSize]byte, error) {
	var kcv [CheckValueSize]byte
	info := binary.BigEndian.AppendUint32([]byte(checkValueLabel), k.id)
	out, err := k.DeriveKey(nil, info, CheckValueSize)
	if err != nil {
		return kcv, err
	}
	copy(kcv[:], out)
	clear(out)
	return kcv, nil
}

// KEKs returns every loaded KEK, current, decrypt-only and revoked,
// sorted by id, for checks that concern the keys themselves (such as
// comparing their check values with the ones a volume records). Using a
// KEK to unwrap goes through ForDecrypt, which audits refusals.
func (r *Keyring) KEKs() []*KEK {
	r.mu.RLock()
	defer r.mu.RUnlock()
	keks := make([]*KEK, 0, len(r.keys))
	for _, k := range r.keys {
		keks = append(keks, k)
	}
	slices.SortFunc(keks, func(a, b *KEK) int { return cmp.Compare(a.id, b.id) })
	return keks
}
