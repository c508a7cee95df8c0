package azure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"

	"github.com/sealfs/sealfs/remote"
)

var (
	// errContradictoryCondition rejects a Condition with both IfAbsent and IfMatch.
	errContradictoryCondition = fmt.Errorf("condition sets both IfAbsent and IfMatch: %w", errors.ErrUnsupported)
	// errIfAbsentDelete rejects Delete with Condition.IfAbsent, which has no meaning there.
	errIfAbsentDelete = fmt.Errorf("IfAbsent is not a delete condition: %w", errors.ErrUnsupported)
	// errNegativeOffset is returned by ReadAt for an offset below zero.
	errNegativeOffset = errors.New("negative offset")
	// errClosed is returned by a Store after Close.
	errClosed = errors.New("store is closed")
)

// serviceError is an error answer of the Azure service: its HTTP status
// and Azure error code, without the request URL (which may carry a SAS
// signature).
type serviceError struct {
	// StatusCode is the HTTP status, such as 404.
	StatusCode int
	// Code is Azure's error code, such as "BlobNotFound" (may be empty).
	Code string
}

// Error describes the answer.
func (e *serviceError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	return fmt.Sprintf("HTTP %d %s", e.StatusCode, e.Code)
}

// opError wraps cause, the failure of operation op on key.
func opError(op, key string, cause error) error {
	return fmt.Errorf("azure: %s %q: %w", op, key, cause)
}

// kindError wraps cause with one of remote's error kinds.
func kindError(op, key string, kind, cause error) error {
	return fmt.Errorf("azure: %s %q: %w: %w", op, key, kind, cause)
}

// mapError maps err, the failure of an SDK call for operation op on key
// made under the caller's ctx, to remote's errors: the caller's
// cancellation stays itself, a 404 is ErrNotFound, a 412 (or the 409 of
// an existing blob) ErrPreconditionFailed, throttling, 5xx, timeouts and
// broken connections ErrUnavailable. The result names no URL.
func mapError(ctx context.Context, op, key string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return opError(op, key, ctxErr)
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		se := &serviceError{StatusCode: re.StatusCode, Code: re.ErrorCode}
		switch {
		case re.StatusCode == http.StatusNotFound:
			return kindError(op, key, remote.ErrNotFound, se)
		case re.StatusCode == http.StatusPreconditionFailed,
			bloberror.HasCode(err, bloberror.BlobAlreadyExists, bloberror.ConditionNotMet):
			return kindError(op, key, remote.ErrPreconditionFailed, se)
		case re.StatusCode == http.StatusRequestTimeout, re.StatusCode == http.StatusTooManyRequests,
			re.StatusCode >= 500:
			return kindError(op, key, remote.ErrUnavailable, se)
		default:
			return opError(op, key, se)
		}
	}
	err = redact(err)
	if isTransient(err) {
		return kindError(op, key, remote.ErrUnavailable, err)
	}
	return opError(op, key, err)
}

// isTransient reports whether a transport error is worth retrying: an
// attempt that timed out, or a connection refused, reset or cut short.
func isTransient(err error) bool {
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return true
	case errors.As(err, &netErr):
		return netErr.Timeout()
	}
	return false
}

// redact replaces a *url.Error in err's chain by its operation and cause,
// dropping the URL, which may carry a SAS signature.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s request: %w", ue.Op, ue.Err)
	}
	return err
}
