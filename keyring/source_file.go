package keyring

import (
	"fmt"
	"os"
	"syscall"
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
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("keyring: %w: key file %s is accessible by group or others (mode %04o); run: chmod 600 %s",
			ErrInsecurePermissions, path, perm, path)
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("keyring: key file %s: cannot read its owner", path)
	}
	euid := os.Geteuid()
	if st.Uid != 0 && int64(st.Uid) != int64(euid) {
		return fmt.Errorf("keyring: %w: key file %s is owned by uid %d, not by this process's user (uid %d) or root; run: chown %d %s",
			ErrInsecurePermissions, path, st.Uid, euid, euid, path)
	}
	return nil
}
