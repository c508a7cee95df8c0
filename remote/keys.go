package remote

import (
	"fmt"
	"strings"
)

// Key limits every backend enforces, so that a key one store accepts,
// every store accepts.
const (
	// MaxKeyLen is S3's and Azure's limit on a full key (prefix included).
	MaxKeyLen = 1024
	// MaxNameLen is NAME_MAX, the longest path component Linux accepts.
	MaxNameLen = 255
)

// CheckKey validates key and reports whether it is a directory marker
// (ends in "/"). Keys are non-empty, relative, at most MaxKeyLen bytes,
// and free of NUL, "." and ".." and empty components. Errors wrap
// ErrInvalidKey.
func CheckKey(key string) (isMarker bool, err error) {
	switch {
	case key == "":
		return false, invalidKey(key, "empty")
	case len(key) > MaxKeyLen:
		return false, invalidKey(key, "longer than 1024 bytes")
	case strings.IndexByte(key, 0) >= 0:
		return false, invalidKey(key, "contains NUL")
	case key[0] == '/':
		return false, invalidKey(key, "starts with /")
	}
	body, isMarker := strings.CutSuffix(key, "/")
	for name := range strings.SplitSeq(body, "/") {
		switch {
		case name == "":
			return false, invalidKey(key, "empty path component")
		case name == "." || name == "..":
			return false, invalidKey(key, "dot path component")
		case len(name) > MaxNameLen:
			return false, invalidKey(key, "path component longer than 255 bytes")
		}
	}
	return isMarker, nil
}

// CheckPrefix validates a List prefix: "" (everything), or a valid marker
// key up to its last "/" followed by the start of a component.
func CheckPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	slash := strings.LastIndexByte(prefix, '/')
	dirKey, namePrefix := prefix[:slash+1], prefix[slash+1:]
	if dirKey != "" {
		if _, err := CheckKey(dirKey); err != nil {
			return err
		}
	}
	switch {
	case len(prefix) > MaxKeyLen:
		return invalidKey(prefix, "longer than 1024 bytes")
	case strings.IndexByte(namePrefix, 0) >= 0:
		return invalidKey(prefix, "contains NUL")
	case len(namePrefix) > MaxNameLen:
		return invalidKey(prefix, "path component longer than 255 bytes")
	}
	return nil
}

func invalidKey(key, reason string) error {
	return fmt.Errorf("key %q: %s: %w", key, reason, ErrInvalidKey)
}
