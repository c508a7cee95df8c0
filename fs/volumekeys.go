package fs

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/remote"
)

// ErrKeyMismatch means a loaded KEK is not the key recorded on the volume
// for its id: its key check value differs from the volume file's.
var ErrKeyMismatch = errors.New("key does not match the key check value recorded on the volume")

// maxKeyChecks bounds the key check values a volume file may hold.
const maxKeyChecks = 1024

// parseKeyChecks reads the volume file's key_check_values: decimal KEK
// ids (no sign, no leading zeros) mapped to 32 hex digits.
func parseKeyChecks(in map[string]string) (map[uint32][keyring.CheckValueSize]byte, error) {
	if len(in) == 0 {
		return nil, nil
	}
	if len(in) > maxKeyChecks {
		return nil, fmt.Errorf("key_check_values: %d entries, at most %d", len(in), maxKeyChecks)
	}
	out := make(map[uint32][keyring.CheckValueSize]byte, len(in))
	for k, v := range in {
		id, err := strconv.ParseUint(k, 10, 32)
		if err != nil || strconv.FormatUint(id, 10) != k {
			return nil, fmt.Errorf("key_check_values: key id %q: want a decimal number from 0 to 4294967295", k)
		}
		b, err := hex.DecodeString(v)
		if err != nil || len(b) != keyring.CheckValueSize {
			return nil, fmt.Errorf("key_check_values[%s]: want %d hex digits", k, 2*keyring.CheckValueSize)
		}
		out[uint32(id)] = [keyring.CheckValueSize]byte(b)
	}
	return out, nil
}

// CheckVolumeKeys compares every KEK of ring with the key check value
// the volume records for its id, and stops at the first that differs
// with ErrKeyMismatch, naming the id and where the key came from (also
// audited as key-check-failed). The current KEK's check value is
// recorded if its id is not yet: the volume file is rewritten
// conditionally on the version read (an older file without check values
// is upgraded that way), and re-read if another mount changed it first.
// vol is updated with what the store holds.
//
// Decrypt-only keys are checked but not recorded: an id is recorded when
// it starts wrapping data keys, so a mistyped previous key never becomes
// the reference.
func CheckVolumeKeys(ctx context.Context, store remote.Store, vol *Volume, ring *keyring.Keyring) error {
	const attempts = 5
	for range attempts {
		var add map[uint32][keyring.CheckValueSize]byte
		for _, k := range ring.KEKs() {
			kcv, err := k.CheckValue()
			if err != nil {
				return fmt.Errorf("key id %d: %w", k.ID(), err)
			}
			rec, ok := vol.KeyChecks[k.ID()]
			switch {
			case ok && subtle.ConstantTimeCompare(rec[:], kcv[:]) != 1:
				err := fmt.Errorf("%w: key id %d (from %s) is not the key this volume records for id %d in %s; "+
					"the key file (or command) for id %d holds another key", ErrKeyMismatch, k.ID(), k.Source(), k.ID(), VolumeKey, k.ID())
				ring.Auditor().Audit(keyring.Event{Kind: keyring.KeyCheckFailed, KEKID: k.ID(), State: k.State(), Source: k.Source(), Err: err})
				return err
			case !ok && k.State() == keyring.Current:
				if add == nil {
					add = map[uint32][keyring.CheckValueSize]byte{}
				}
				add[k.ID()] = kcv
			}
		}
		if len(add) == 0 {
			return nil
		}
		next := *vol
		next.KeyChecks = make(map[uint32][keyring.CheckValueSize]byte, len(vol.KeyChecks)+len(add))
		for id, kcv := range vol.KeyChecks {
			next.KeyChecks[id] = kcv
		}
		for id, kcv := range add {
			next.KeyChecks[id] = kcv
		}
		cond := remote.Condition{IfMatch: vol.version}
		if vol.version == "" {
			cond = remote.Condition{IfAbsent: true}
		}
		info, err := writeVolume(ctx, store, next, cond)
		if err == nil {
			next.version = info.Version
			*vol = next
			return nil
		}
		if !errors.Is(err, remote.ErrPreconditionFailed) {
			return fmt.Errorf("recording the key check value in %s: %w", VolumeKey, err)
		}
		// Another mount changed the volume file first: read theirs.
		cur, err := readVolume(ctx, store)
		if err != nil {
			return err
		}
		if cur.ID != vol.ID || cur.ChunkSize != vol.ChunkSize {
			return fmt.Errorf("%w: %s changed to volume id %x, chunk size %d while mounting", ErrVolumeMismatch, VolumeKey, cur.ID, cur.ChunkSize)
		}
		*vol = cur
	}
	return fmt.Errorf("%s keeps changing: cannot record the key check value", VolumeKey)
}
