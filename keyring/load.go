package keyring

import (
	"context"
	"errors"
	"fmt"
)

// Load reads every spec's key, in order, and builds a keyring with New.
// Each key is audited as loaded, each failure as KeyLoadFailed. On any
// error every key read so far is zeroed and the error names the source.
// A nil auditor discards events.
func Load(ctx context.Context, specs []Spec, audit Auditor) (*Keyring, error) {
	if audit == nil {
		audit = discardAuditor{}
	}
	if len(specs) == 0 {
		return nil, errors.New("keyring: no keys configured")
	}
	var envNames []string
	for _, s := range specs {
		if s.Env != "" {
			envNames = append(envNames, s.Env)
		}
	}
	keks := make([]*KEK, 0, len(specs))
	for _, s := range specs {
		k, err := loadSpec(ctx, s, envNames)
		if err != nil {
			audit.Audit(Event{Kind: KeyLoadFailed, KEKID: s.ID, State: s.State, Source: s.source(), Err: err})
			for _, loaded := range keks {
				loaded.zero()
			}
			return nil, err
		}
		keks = append(keks, k)
	}
	return New(audit, keks...)
}

// loadSpec reads, parses and wraps one spec's key. Command sources do not
// inherit the variables named in hiddenEnv.
func loadSpec(ctx context.Context, s Spec, hiddenEnv []string) (*KEK, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("keyring: loading key %d from %s: %w", s.ID, s.source(), err)
	}
	var (
		raw *secretBuffer
		err error
	)
	switch {
	case s.File != "":
		raw, err = readKeyFile(s.File)
	case s.Env != "":
		raw, err = readEnvKey(s.Env)
	case s.Credential != "":
		raw, err = readCredential(s.Credential)
	default:
		raw, err = runKeyCommand(ctx, s.Command, hiddenEnv)
	}
	if err != nil {
		return nil, err
	}
	defer raw.wipe()
	key, err := ParseKey(raw.bytes(), s.source())
	if err != nil {
		return nil, err
	}
	defer clear(key)
	return NewKEK(s.ID, s.State, key, s.source())
}
