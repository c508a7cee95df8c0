package keyring

import (
	"fmt"
	"os"
	"syscall"

	"github.com/sealfs/sealfs/keyring/fileperm"
)

// readKeyFile reads a key file after checking, on the opened descriptor,
// that it is a regular file owned by this user or root and not accessible
// by group or others. The caller must wipe the returned buffer.
func readKeyFile(path string) (*secretBuffer, error) {
	// O_NONBLOCK keeps a FIFO from blocking the open; O_NOCTTY keeps a
	// terminal from becoming ours. Both are refused below as non-regular.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("keyring: opening key file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("keyring: key file %s: %w", path, err)
	}
	if err := checkKeyFileInfo(path, info); err != nil {
		return nil, err
	}
	buf := newSecretBuffer(maxKeySourceSize)
	if _, err := buf.ReadFrom(f); err != nil {
		buf.wipe()
		if buf.overflow {
			return nil, fmt.Errorf("keyring: key file %s is larger than %d bytes; a key file holds one base64 line %s", path, maxKeySourceSize, keygenHint)
		}
		return nil, fmt.Errorf("keyring: reading key file %s: %w", path, err)
	}
	return buf, nil
}

// checkKeyFileInfo applies ssh's rules to a key file's fstat result.
func checkKeyFileInfo(path string, info os.FileInfo) error {
	if !info.Mode().IsRegular() {
		return fmt.Errorf("keyring: key file %s is not a regular file (%s)", path, info.Mode().Type())
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("keyring: key file %s: cannot read its owner", path)
	}
	// ssh's rule for private keys: no access by group or others, owned
	// by this user or root.
	rule := fileperm.Rule{What: "key file", Forbidden: 0o077, Fix: "600"}
	if err := rule.Check(ErrInsecurePermissions, path, info.Mode(), st.Uid); err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	return nil
}
