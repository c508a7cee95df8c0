package local

import (
	"fmt"
	"strings"

	"github.com/sealfs/sealfs/remote"
)

const (
	// tmpDirName is the reserved top-level directory holding uploads in progress.
	tmpDirName = ".sealfs-tmp"
)

// checkKey validates key with the rules every backend shares
// (remote.CheckKey), and refuses the reserved top-level tmpDirName. A key
// that names a path outside the root (absolute, or with a ".."
// component) also wraps ErrOutsideRoot.
func checkKey(key string) (isMarker bool, err error) {
	if escapes(key) {
		return false, fmt.Errorf("local: key %q: %w: %w", key, ErrOutsideRoot, remote.ErrInvalidKey)
	}
	if isMarker, err = remote.CheckKey(key); err != nil {
		return false, err
	}
	if first, _, _ := strings.Cut(key, "/"); first == tmpDirName {
		return false, invalidKey(key, "reserved name "+tmpDirName)
	}
	return isMarker, nil
}

// escapes reports whether key is absolute or has a ".." component.
func escapes(key string) bool {
	if strings.HasPrefix(key, "/") {
		return true
	}
	if !strings.Contains(key, "..") {
		return false
	}
	for name := range strings.SplitSeq(key, "/") {
		if name == ".." {
			return true
		}
	}
	return false
}

// splitPrefix validates a List prefix and splits it into the directory to
// read (a marker key, or "" for the root) and the prefix its entries'
// names must have ("" when prefix ends in "/").
func splitPrefix(prefix string) (dirKey, namePrefix string, err error) {
	if prefix == "" {
		return "", "", nil
	}
	slash := strings.LastIndexByte(prefix, '/')
	dirKey, namePrefix = prefix[:slash+1], prefix[slash+1:]
	if dirKey != "" {
		if _, err := checkKey(dirKey); err != nil {
			return "", "", err
		}
	}
	switch {
	case len(prefix) > remote.MaxKeyLen:
		return "", "", invalidKey(prefix, "longer than 1024 bytes")
	case strings.IndexByte(namePrefix, 0) >= 0:
		return "", "", invalidKey(prefix, "contains NUL")
	case len(namePrefix) > remote.MaxNameLen:
		return "", "", invalidKey(prefix, "path component longer than 255 bytes")
	}
	return dirKey, namePrefix, nil
}

// invalidKey builds the ErrInvalidKey error for key.
func invalidKey(key, reason string) error {
	return fmt.Errorf("local: key %q: %s: %w", key, reason, remote.ErrInvalidKey)
}
