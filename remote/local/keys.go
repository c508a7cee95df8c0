package local

import (
	"fmt"
	"strings"

	"github.com/sealfs/sealfs/remote"
)

const (
	// tmpDirName is the reserved top-level directory holding uploads in progress.
	tmpDirName = ".sealfs-tmp"
	// maxKeyLen matches the S3 limit so that every backend accepts the same keys.
	maxKeyLen = 1024
	// maxNameLen is NAME_MAX, the longest file name Linux accepts.
	maxNameLen = 255
)

// checkKey validates key and reports whether it is a directory marker
// (ends in "/"). Keys are non-empty, relative, free of NUL, "." and ".."
// and empty components, and do not start with the reserved tmpDirName.
func checkKey(key string) (isMarker bool, err error) {
	switch {
	case key == "":
		return false, invalidKey(key, "empty")
	case len(key) > maxKeyLen:
		return false, invalidKey(key, "longer than 1024 bytes")
	case strings.IndexByte(key, 0) >= 0:
		return false, invalidKey(key, "contains NUL")
	case key[0] == '/':
		return false, invalidKey(key, "starts with /")
	}
	body, isMarker := strings.CutSuffix(key, "/")
	if err := checkComponents(key, body); err != nil {
		return false, err
	}
	return isMarker, nil
}

// checkComponents validates every "/"-separated component of body, the key
// without its marker slash.
func checkComponents(key, body string) error {
	first := true
	for {
		name, rest, more := strings.Cut(body, "/")
		switch {
		case name == "":
			return invalidKey(key, "empty path component")
		case name == "." || name == "..":
			return invalidKey(key, "dot path component")
		case len(name) > maxNameLen:
			return invalidKey(key, "path component longer than 255 bytes")
		case first && name == tmpDirName:
			return invalidKey(key, "reserved name "+tmpDirName)
		}
		if !more {
			return nil
		}
		first = false
		body = rest
	}
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
	case len(prefix) > maxKeyLen:
		return "", "", invalidKey(prefix, "longer than 1024 bytes")
	case strings.IndexByte(namePrefix, 0) >= 0:
		return "", "", invalidKey(prefix, "contains NUL")
	case len(namePrefix) > maxNameLen:
		return "", "", invalidKey(prefix, "path component longer than 255 bytes")
	}
	return dirKey, namePrefix, nil
}

// invalidKey builds the ErrInvalidKey error for key.
func invalidKey(key, reason string) error {
	return fmt.Errorf("local: key %q: %s: %w", key, reason, remote.ErrInvalidKey)
}
