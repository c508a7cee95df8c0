package keyring

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// CredentialsDirEnv is the variable through which systemd passes the
// directory of a service's credentials (LoadCredential=,
// LoadCredentialEncrypted=, SetCredential=).
const CredentialsDirEnv = "CREDENTIALS_DIRECTORY"

// readCredential reads the systemd credential name from
// $CREDENTIALS_DIRECTORY. systemd makes that directory private to the
// service, so the key file rules (mode 0600, owner) are not applied; the
// file must still be a regular file. The name was checked by Spec.validate.
// The caller must wipe the buffer.
func readCredential(name string) (*secretBuffer, error) {
	dir := os.Getenv(CredentialsDirEnv)
	if dir == "" {
		return nil, fmt.Errorf("keyring: credential:%s: %s is not set (run sealfs from a systemd unit with LoadCredential=%s:/path/to/key or LoadCredentialEncrypted=%s:/path/to/key.cred)",
			name, CredentialsDirEnv, name, name)
	}
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("keyring: credential:%s: no credential %s in %s=%s (is LoadCredential=%s:… in the unit?): %w",
				name, name, CredentialsDirEnv, dir, name, err)
		}
		return nil, fmt.Errorf("keyring: credential:%s: %w", name, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("keyring: credential:%s: %w", name, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("keyring: credential:%s: %s is not a regular file (%s)", name, path, info.Mode().Type())
	}
	buf := newSecretBuffer(maxKeySourceSize)
	if _, err := buf.ReadFrom(f); err != nil {
		buf.wipe()
		if buf.overflow {
			return nil, fmt.Errorf("keyring: credential:%s is larger than %d bytes; it holds one base64 line %s", name, maxKeySourceSize, keygenHint)
		}
		return nil, fmt.Errorf("keyring: credential:%s: reading %s: %w", name, path, err)
	}
	return buf, nil
}

// validCredentialName refuses names systemd would not accept, and any
// that could leave the credentials directory.
func validCredentialName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") || len(name) > 255 {
		return fmt.Errorf("credential %q: want a systemd credential name (no \"/\", not \".\" or \"..\")", name)
	}
	return nil
}
