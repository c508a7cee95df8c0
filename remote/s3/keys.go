package s3

import (
	"fmt"
	"strings"

	"github.com/sealfs/sealfs/remote"
)

const (
	// maxKeyLen is S3's limit on the length of a full object key (prefix included).
	maxKeyLen = 1024
	// maxNameLen limits one path component as remote/local does (NAME_MAX),
	// so that every backend accepts the same keys.
	maxNameLen = 255
)

// checkKey validates key and reports whether it is a directory marker
// (ends in "/"). Keys are non-empty, relative, at most 1024 bytes, and
// free of NUL, "." and ".." and empty components: the rules of
// remote/local.
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
	for name := range strings.SplitSeq(body, "/") {
		switch {
		case name == "":
			return false, invalidKey(key, "empty path component")
		case name == "." || name == "..":
			return false, invalidKey(key, "dot path component")
		case len(name) > maxNameLen:
			return false, invalidKey(key, "path component longer than 255 bytes")
		}
	}
	return isMarker, nil
}

// checkPrefix validates a List prefix: everything up to its last "/" must
// be a valid marker key, and the rest a partial name without NUL.
func checkPrefix(prefix string) error {
	slash := strings.LastIndexByte(prefix, '/')
	dirKey, namePrefix := prefix[:slash+1], prefix[slash+1:]
	if dirKey != "" {
		if _, err := checkKey(dirKey); err != nil {
			return err
		}
	}
	switch {
	case len(prefix) > maxKeyLen:
		return invalidKey(prefix, "longer than 1024 bytes")
	case strings.IndexByte(namePrefix, 0) >= 0:
		return invalidKey(prefix, "contains NUL")
	case len(namePrefix) > maxNameLen:
		return invalidKey(prefix, "path component longer than 255 bytes")
	}
	return nil
}

// invalidKey builds the ErrInvalidKey error for key.
func invalidKey(key, reason string) error {
	return fmt.Errorf("s3: key %q: %s: %w", key, reason, remote.ErrInvalidKey)
}
