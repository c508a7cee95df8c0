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

// checkKey validates key with the rules every backend shares
// (remote.CheckKey); GCS adds valid UTF-8 and no carriage return or line
// feed.
func checkKey(key string) (isMarker bool, err error) {
	if isMarker, err = remote.CheckKey(key); err != nil {
		return false, err
	}
	return isMarker, checkBytes(key)
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

// checkPrefix validates a List prefix (remote.CheckPrefix, plus GCS's byte rules).
func checkPrefix(prefix string) error {
	if err := remote.CheckPrefix(prefix); err != nil {
		return err
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
