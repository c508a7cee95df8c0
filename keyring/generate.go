package keyring

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// GenerateKey returns 32 fresh random bytes from crypto/rand. The caller
// owns the key and should clear it once used.
func GenerateKey() ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("keyring: generating key: %w", err)
	}
	return key, nil
}

// GenerateFile writes a new random KEK to path as one base64 line, mode
// 0400, and fsyncs the file and its directory. It refuses to overwrite an
// existing file; on failure it removes what it created.
func GenerateFile(path string) (err error) {
	key, err := GenerateKey()
	if err != nil {
		return err
	}
	defer clear(key)
	text := make([]byte, encodedKeyLen+1)
	defer clear(text)
	base64.StdEncoding.Encode(text, key)
	text[encodedKeyLen] = '\n'

	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o400)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("keyring: key file %s already exists; refusing to overwrite it: %w", path, err)
	}
	if err != nil {
		return fmt.Errorf("keyring: creating key file: %w", err)
	}
	defer func() {
		if err != nil {
			os.Remove(path)
		}
	}()
	if _, err = f.Write(text); err != nil {
		f.Close()
		return fmt.Errorf("keyring: writing key file: %w", err)
	}
	if err = f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("keyring: syncing key file: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("keyring: closing key file: %w", err)
	}
	if err = syncDir(filepath.Dir(path)); err != nil {
		return err
	}
	return nil
}

// syncDir fsyncs a directory so a new entry in it survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("keyring: opening directory to sync: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("keyring: syncing directory %s: %w", dir, err)
	}
	return nil
}
