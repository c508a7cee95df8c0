package cache

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/sealfs/sealfs/keyring"
)

const (
	// stateWrapLabel is the HKDF info label of the state key's wrap key,
	// distinct from the data key's "sealfs/v1/wrap".
	stateWrapLabel = "sealfs/v1/state-wrap"
	// stateAADLabel prefixes the associated data of the wrapped state key.
	stateAADLabel = "sealfs-statekey-v1"

	stateKeyName  = "statekey"
	badgerDirName = "badger"
)

// rebuildHint tells the operator what to do when the cache cannot be opened.
func rebuildHint(dir string) string {
	return fmt.Sprintf("the cache holds only copies of store metadata: delete %s and it will be rebuilt from the store", dir)
}

// openStateKey returns the state key of the cache in dir, which the caller
// clears. A missing key file is created under the current KEK (removing any
// Badger files it no longer opens); a key file wrapped by another KEK than
// the current one is rewrapped under the current one.
func openStateKey(dir string, ring *keyring.Keyring, log *slog.Logger) ([]byte, error) {
	path := filepath.Join(dir, stateKeyName)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createStateKey(dir, ring, log)
	}
	if err != nil {
		return nil, fmt.Errorf("cache: reading state key: %w", err)
	}
	f, err := parseStateKeyFile(b)
	if err != nil {
		return nil, fmt.Errorf("cache: %s: %w; %s", path, err, rebuildHint(dir))
	}
	key, err := unwrapStateKey(ring, &f, path)
	if err != nil {
		return nil, fmt.Errorf("cache: %w; %s", err, rebuildHint(dir))
	}
	cur, err := ring.Current()
	if errors.Is(err, keyring.ErrNoCurrentKEK) {
		log.Warn("cache: no current KEK; state key stays wrapped by its old KEK", "kek_id", f.kekID)
		return key, nil
	}
	if err != nil {
		clear(key)
		return nil, fmt.Errorf("cache: %w", err)
	}
	if cur.ID() == f.kekID {
		return key, nil
	}
	if err := writeStateKey(path, cur, key); err != nil {
		clear(key)
		return nil, err
	}
	log.Info("cache: state key rewrapped under the current KEK", "from_kek_id", f.kekID, "to_kek_id", cur.ID())
	return key, nil
}

// createStateKey draws a fresh state key, removes Badger files that were
// encrypted under a lost one, and stores the new key wrapped by the current KEK.
func createStateKey(dir string, ring *keyring.Keyring, log *slog.Logger) ([]byte, error) {
	cur, err := ring.Current()
	if err != nil {
		return nil, fmt.Errorf("cache: creating state key: %w", err)
	}
	badgerDir := filepath.Join(dir, badgerDirName)
	if _, err := os.Stat(badgerDir); err == nil {
		// The store is the source of truth: without its key the old cache
		// is unreadable, so it is dropped and rebuilt. Removing it before
		// writing the new key keeps a crash in between harmless.
		log.Warn("cache: state key missing; removing the old encrypted cache, which will be rebuilt from the store", "dir", badgerDir)
		if err := os.RemoveAll(badgerDir); err != nil {
			return nil, fmt.Errorf("cache: removing cache without state key: %w", err)
		}
	}
	key := make([]byte, stateKeySize)
	rand.Read(key) // never fails (crypto/rand crashes the program instead)
	if err := writeStateKey(filepath.Join(dir, stateKeyName), cur, key); err != nil {
		clear(key)
		return nil, err
	}
	log.Info("cache: created state key", "kek_id", cur.ID())
	return key, nil
}

// writeStateKey wraps key under kek with a fresh salt and replaces the file
// at path atomically.
func writeStateKey(path string, kek *keyring.KEK, key []byte) error {
	f, err := wrapStateKey(kek, key)
	if err != nil {
		return fmt.Errorf("cache: wrapping state key under kek %d: %w", kek.ID(), err)
	}
	if err := writeFileAtomic(path, f.marshal()); err != nil {
		return fmt.Errorf("cache: writing state key: %w", err)
	}
	return nil
}

// wrapStateKey seals key under kek: (K_wrap ‖ KCV) = HKDF-SHA256(KEK, fresh
// salt, stateWrapLabel ‖ kek_id); wrapped = AES-256-GCM(K_wrap, zero nonce,
// key, stateAADLabel ‖ kek_id).
func wrapStateKey(kek *keyring.KEK, key []byte) (stateKeyFile, error) {
	f := stateKeyFile{kekID: kek.ID()}
	rand.Read(f.salt[:])
	aead, kcv, err := stateWrapAEAD(kek, &f)
	if err != nil {
		return f, err
	}
	copy(f.kcv[:], kcv)
	// The nonce is all zeros: each K_wrap seals one message, since every
	// wrap draws a fresh 32-byte salt.
	var nonce [12]byte
	aead.Seal(f.wrapped[:0], nonce[:], key, stateAAD(&f))
	return f, nil
}

// unwrapStateKey opens f with the KEK it names. The keyring refuses (and
// audits) unknown and revoked ids; a wrong key or a damaged file is reported
// to the keyring's auditor under object.
func unwrapStateKey(ring *keyring.Keyring, f *stateKeyFile, object string) ([]byte, error) {
	kek, err := ring.ForDecrypt(f.kekID, object)
	if err != nil {
		return nil, fmt.Errorf("state key %s is wrapped by KEK %d, which cannot be used: %w", object, f.kekID, err)
	}
	fail := func(sentinel error) error {
		err := fmt.Errorf("state key %s, KEK %d: %w", object, f.kekID, sentinel)
		ring.ReportUnwrapFailure(f.kekID, object, err)
		return err
	}
	aead, kcv, err := stateWrapAEAD(kek, f)
	if err != nil {
		return nil, fmt.Errorf("state key %s, KEK %d: %w", object, f.kekID, err)
	}
	if subtle.ConstantTimeCompare(kcv, f.kcv[:]) != 1 {
		return nil, fail(ErrWrongKey)
	}
	var nonce [12]byte
	key, err := aead.Open(make([]byte, 0, stateKeySize), nonce[:], f.wrapped[:], stateAAD(f))
	if err != nil {
		return nil, fail(ErrTampered)
	}
	return key, nil
}

// stateWrapAEAD derives K_wrap and the key check value for f's KEK id and
// salt, and returns AES-256-GCM under K_wrap. K_wrap itself is cleared; the
// cipher keeps its own expanded key.
func stateWrapAEAD(kek *keyring.KEK, f *stateKeyFile) (cipher.AEAD, []byte, error) {
	info := append([]byte(stateWrapLabel), f.kekIDBytes()...)
	okm, err := kek.DeriveKey(f.salt[:], info, stateKeySize+checkValueSize)
	if err != nil {
		return nil, nil, fmt.Errorf("deriving wrap key: %w", err)
	}
	kWrap, kcv := okm[:stateKeySize], okm[stateKeySize:]
	defer clear(kWrap)
	block, err := aes.NewCipher(kWrap)
	if err != nil {
		return nil, nil, fmt.Errorf("AES key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, nil, fmt.Errorf("GCM: %w", err)
	}
	return aead, kcv, nil
}

// stateAAD returns the associated data of f's wrapped key: stateAADLabel ‖ kek_id.
func stateAAD(f *stateKeyFile) []byte {
	return append([]byte(stateAADLabel), f.kekIDBytes()...)
}
