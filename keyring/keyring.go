package keyring

import (
	"fmt"
	"slices"
	"sync"
)

// Keyring is the set of KEKs a process may use: at most one current, any
// number decrypt-only or revoked. It is safe for concurrent use.
type Keyring struct {
	audit Auditor

	mu      sync.RWMutex
	keys    map[uint32]*KEK
	current *KEK
	closed  bool
}

// New builds a keyring from KEKs, refusing duplicate ids and more than one
// current key. It takes ownership of the KEKs: Close zeroes them, and so
// does New itself when it fails. A nil auditor discards events. Every key
// is reported to the auditor as loaded.
func New(audit Auditor, keks ...*KEK) (*Keyring, error) {
	if audit == nil {
		audit = discardAuditor{}
	}
	r, err := build(audit, keks)
	if err != nil {
		for _, k := range keks {
			if k != nil {
				k.zero()
			}
		}
		return nil, err
	}
	for _, k := range keks {
		audit.Audit(Event{Kind: KeyLoaded, KEKID: k.id, State: k.state, Source: k.source})
	}
	return r, nil
}

// build indexes keks by id and finds the current one.
func build(audit Auditor, keks []*KEK) (*Keyring, error) {
	r := &Keyring{audit: audit, keys: make(map[uint32]*KEK, len(keks))}
	for i, k := range keks {
		if k == nil {
			return nil, fmt.Errorf("keyring: key %d of %d is nil", i+1, len(keks))
		}
		if prev, ok := r.keys[k.id]; ok {
			return nil, fmt.Errorf("keyring: key id %d from %s and %s: %w", k.id, prev.source, k.source, ErrDuplicateID)
		}
		if k.state == Current {
			if r.current != nil {
				return nil, fmt.Errorf("keyring: keys %d (%s) and %d (%s): %w", r.current.id, r.current.source, k.id, k.source, ErrTwoCurrent)
			}
			r.current = k
		}
		r.keys[k.id] = k
	}
	return r, nil
}

// Current returns the KEK that wraps new data keys.
func (r *Keyring) Current() (*KEK, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return nil, ErrClosed
	}
	if r.current == nil {
		return nil, ErrNoCurrentKEK
	}
	return r.current, nil
}

// ForDecrypt returns the KEK with the given id for unwrapping the data key
// of object (a name for audit lines). Unknown and revoked ids are refused
// with ErrUnknownKEK or ErrRevokedKEK, and the refusal is audited.
func (r *Keyring) ForDecrypt(id uint32, object string) (*KEK, error) {
	r.mu.RLock()
	closed := r.closed
	k, ok := r.keys[id]
	r.mu.RUnlock()
	// Audit outside the lock: an auditor may be slow or call back into r.
	switch {
	case closed:
		return nil, ErrClosed
	case !ok:
		err := fmt.Errorf("keyring: key id %d for %s: %w", id, object, ErrUnknownKEK)
		r.audit.Audit(Event{Kind: UnknownKeyUsed, KEKID: id, Object: object, Err: err})
		return nil, err
	case k.state == Revoked:
		err := fmt.Errorf("keyring: key id %d for %s: %w", id, object, ErrRevokedKEK)
		r.audit.Audit(Event{Kind: RevokedKeyUsed, KEKID: id, State: Revoked, Source: k.source, Object: object, Err: err})
		return nil, err
	}
	return k, nil
}

// ReportUnwrapFailure audits a failed unwrap or verification of object under
// KEK id. Callers pass errors that contain no secrets.
func (r *Keyring) ReportUnwrapFailure(id uint32, object string, err error) {
	r.audit.Audit(Event{Kind: UnwrapFailed, KEKID: id, Object: object, Err: err})
}

// Auditor returns the auditor the keyring reports to, for callers (such as
// the object reader) that audit integrity failures of their own.
func (r *Keyring) Auditor() Auditor { return r.audit }

// IDs returns the ids of all loaded KEKs, sorted.
func (r *Keyring) IDs() []uint32 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ids := make([]uint32, 0, len(r.keys))
	for id := range r.keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Close zeroes every key. Later calls fail with ErrClosed. Closing twice is
// harmless.
func (r *Keyring) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	for _, k := range r.keys {
		k.zero()
	}
	r.mu.Unlock()
	r.audit.Audit(Event{Kind: KeyringClosed})
	return nil
}
