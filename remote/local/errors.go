package local

import (
	"errors"
	"fmt"
	"io/fs"

	"golang.org/x/sys/unix"

	"github.com/sealfs/sealfs/remote"
)

// errNegativeOffset is returned by ReadAt for an offset below zero.
var errNegativeOffset = errors.New("negative offset")

// opError wraps cause, the failure of operation op on key.
func opError(op, key string, cause error) error {
	return fmt.Errorf("local: %s %q: %w", op, key, cause)
}

// notFound returns the ErrNotFound error for key, keeping cause (which may
// be nil) reachable with errors.Is.
func notFound(op, key string, cause error) error {
	if cause == nil {
		return fmt.Errorf("local: %s %q: %w", op, key, remote.ErrNotFound)
	}
	return fmt.Errorf("local: %s %q: %w (%w)", op, key, remote.ErrNotFound, cause)
}

// preconditionFailed returns the ErrPreconditionFailed error for key.
func preconditionFailed(op, key, why string) error {
	return fmt.Errorf("local: %s %q: %s: %w", op, key, why, remote.ErrPreconditionFailed)
}

// isMissing reports whether a lookup error means nothing exists at the
// path: the name is absent, or a parent component is not a directory.
func isMissing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR)
}
