package gcs

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/sealfs/sealfs/remote"
)

const (
	// maxNameLen is GCS's limit on an object name, in bytes, Prefix included.
	maxNameLen = 1024
	// maxComponentLen is NAME_MAX, the rule of the local backend, so that
	// every backend accepts the same keys.
	maxComponentLen = 255
)

// checkKey validates key and reports whether it is a directory marker
// (ends in "/"). Keys follow the local backend's rules: non-empty,
// relative, free of NUL, "." and ".." and empty components; GCS adds
// valid UTF-8 and no carriage return or line feed.
func checkKey(key string) (isMarker bool, err error) {
	switch {
	case key == "":
		return false, invalidKey(key, "empty")
	case len(key) > maxNameLen:
		return false, invalidKey(key, "longer than 1024 bytes")
	case key[0] == '/':
		return false, invalidKey(key, "starts with /")
	}
	if err := checkBytes(key); err != nil {
		return false, err
	}
	body, isMarker := strings.CutSuffix(key, "/")
	for name := range strings.SplitSeq(body, "/") {
		switch {
		case name == "":
			return false, invalidKey(key, "empty path component")
		case name == "." || name == "..":
			return false, invalidKey(key, "dot path component")
		case len(name) > maxComponentLen:
			return false, invalidKey(key, "path component longer than 255 bytes")
		}
	}
	return isMarker, nil
}

// checkBytes refuses the bytes GCS or the local backend cannot store in
// a name: invalid UTF-8, NUL, carriage return and line feed.
func checkBytes(s string) error {
	switch {
	case !utf8.ValidString(s):
		return invalidKey(s, "not valid UTF-8")
	case strings.IndexByte(s, 0) >= 0:
		return invalidKey(s, "contains NUL")
	case strings.ContainsAny(s, "\r\n"):
		return invalidKey(s, "contains a carriage return or line feed")
	}
	return nil
}

// checkPrefix validates a List prefix: the part up to its last "/" must
// be a valid marker key, and the rest a valid start of a name.
func checkPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if len(prefix) > maxNameLen {
		return invalidKey(prefix, "longer than 1024 bytes")
	}
	slash := strings.LastIndexByte(prefix, '/')
	if dir := prefix[:slash+1]; dir != "" {
		if _, err := checkKey(dir); err != nil {
			return err
		}
	}
	if len(prefix)-slash-1 > maxComponentLen {
		return invalidKey(prefix, "path component longer than 255 bytes")
	}
	return checkBytes(prefix)
}

// invalidKey builds the ErrInvalidKey error for key.
func invalidKey(key, reason string) error {
	return fmt.Errorf("gcs: key %q: %s: %w", key, reason, remote.ErrInvalidKey)
}

// objectName returns the object name of a checked key.
func (s *Store) objectName(key string) (string, error) {
	name := s.prefix + key
	if len(name) > maxNameLen {
		return "", invalidKey(key, "longer than 1024 bytes with the store's prefix")
	}
	return name, nil
}

// keyOf returns the key of an object name listed under the store's prefix.
func (s *Store) keyOf(name string) string {
	return strings.TrimPrefix(name, s.prefix)
}
