package gcs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"

	"github.com/sealfs/sealfs/remote"
)

var (
	// errUploadDone is returned by an Upload used after Commit or Abort finished it.
	errUploadDone = errors.New("gcs: upload already committed or aborted")
	// errObjectClosed is returned by ReadAt on a closed Object.
	errObjectClosed = errors.New("gcs: object handle closed")
	// errNegativeOffset is returned by ReadAt for an offset below zero.
	errNegativeOffset = errors.New("gcs: negative offset")
	// errContradictoryCondition rejects a Condition with both IfAbsent and IfMatch.
	errContradictoryCondition = fmt.Errorf("condition sets both IfAbsent and IfMatch: %w", errors.ErrUnsupported)
	// errIfAbsentDelete rejects Delete with Condition.IfAbsent.
	errIfAbsentDelete = fmt.Errorf("IfAbsent is not a delete condition: %w", errors.ErrUnsupported)
	// errAttemptTimeout is the cause of a request attempt's own deadline.
	errAttemptTimeout = errors.New("request attempt timed out")
)

// opError wraps cause, the failure of operation op on key.
func opError(op, key string, cause error) error {
	return fmt.Errorf("gcs: %s %q: %w", op, key, cause)
}

// preconditionFailed returns the ErrPreconditionFailed error for key.
func preconditionFailed(op, key, why string) error {
	return fmt.Errorf("gcs: %s %q: %s: %w", op, key, why, remote.ErrPreconditionFailed)
}

// mapError translates the failure err of operation op on key into the
// remote package's errors. ctx is the caller's context: once it is done,
// the error wraps ctx.Err() whatever the library made of it. conditional
// says whether the request carried a precondition, which decides what a
// 409 Conflict means.
func mapError(ctx context.Context, op, key string, err error, conditional bool) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("gcs: %s %q: %w (%v)", op, key, ctxErr, err)
	}
	if kind := classify(err, conditional); kind != nil {
		return fmt.Errorf("gcs: %s %q: %w: %w", op, key, kind, err)
	}
	return opError(op, key, err)
}

// classify returns the remote error that err stands for, or nil if none.
func classify(err error, conditional bool) error {
	if errors.Is(err, storage.ErrObjectNotExist) {
		return remote.ErrNotFound
	}
	var apiErr *googleapi.Error
	if errors.As(err, &apiErr) {
		return classifyStatus(apiErr.Code, conditional)
	}
	if isTransient(err) {
		return remote.ErrUnavailable
	}
	return nil
}

// classifyStatus maps an HTTP status of the service to a remote error.
func classifyStatus(code int, conditional bool) error {
	switch {
	case code == http.StatusNotFound:
		return remote.ErrNotFound
	case code == http.StatusPreconditionFailed:
		return remote.ErrPreconditionFailed
	case code == http.StatusConflict && conditional:
		// A conditional write lost a race with another write of the object.
		return remote.ErrPreconditionFailed
	case code == http.StatusConflict, code == http.StatusRequestTimeout,
		code == http.StatusTooManyRequests, code >= 500:
		return remote.ErrUnavailable
	}
	return nil
}

// isTransient reports whether err is a failure of the connection rather
// than an answer of the service: a timeout (the attempt's own deadline
// included), a refused, reset or broken connection, or a response cut short.
func isTransient(err error) bool {
	var netErr net.Error
	var opErr *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, errAttemptTimeout),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, io.EOF):
		return true
	case errors.As(err, &netErr) && netErr.Timeout():
		return true
	case errors.As(err, &opErr):
		return true
	}
	return false
}
