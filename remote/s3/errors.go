package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sealfs/sealfs/remote"
)

var (
	// errNoSuchBucket reports that the configured bucket does not exist
	// (not a missing key: nothing can be found while it is gone).
	errNoSuchBucket = errors.New("bucket does not exist")
	// errNegativeOffset is returned by ReadAt for an offset below zero.
	errNegativeOffset = errors.New("negative offset")
	// errContradictoryCondition rejects a Condition with both IfAbsent and IfMatch.
	errContradictoryCondition = fmt.Errorf("condition sets both IfAbsent and IfMatch: %w", errors.ErrUnsupported)
	// errIfAbsentDelete rejects Delete with Condition.IfAbsent, which has no meaning there.
	errIfAbsentDelete = fmt.Errorf("IfAbsent is not a delete condition: %w", errors.ErrUnsupported)
	// errNoSuchUpload reports that a multipart upload is gone: completed
	// by an attempt whose answer was lost, or aborted.
	errNoSuchUpload = errors.New("multipart upload does not exist")
	// errMarkerData rejects bytes written to a directory marker.
	errMarkerData = fmt.Errorf("a directory marker holds no data: %w", remote.ErrInvalidKey)
)

// statusCoder is implemented by the SDK's HTTP response errors.
type statusCoder interface{ HTTPStatusCode() int }

// opError wraps cause, the failure of operation op on key, without
// classifying it.
func opError(op, key string, cause error) error {
	return fmt.Errorf("s3: %s %q: %w", op, key, cause)
}

// mapError classifies err, the failure of operation op on key made under
// the caller's ctx, and wraps it with the remote error it maps to: the
// caller's cancellation or deadline first, then remote.ErrNotFound,
// ErrPreconditionFailed or ErrUnavailable, keeping err as the cause.
func mapError(ctx context.Context, op, key string, err error) error {
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("s3: %s %q: %w (%w)", op, key, ctxErr, err)
	}
	if sentinel := classify(err); sentinel != nil {
		return fmt.Errorf("s3: %s %q: %w: %w", op, key, sentinel, err)
	}
	return opError(op, key, err)
}

// classify returns the error err maps to, or nil if it is none of them.
func classify(err error) error {
	var apiErr smithy.APIError
	code := ""
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	switch code {
	case "NoSuchBucket":
		return errNoSuchBucket
	case "NoSuchUpload":
		return errNoSuchUpload
	case "SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "OperationAborted":
		return remote.ErrUnavailable
	case "ConditionalRequestConflict", "PreconditionFailed":
		return remote.ErrPreconditionFailed
	case "NoSuchKey":
		return remote.ErrNotFound
	}
	var sc statusCoder
	if errors.As(err, &sc) && sc.HTTPStatusCode() != 0 { // 0: no response
		return classifyStatus(sc.HTTPStatusCode())
	}
	if isTransient(err) {
		return remote.ErrUnavailable
	}
	return nil
}

// classifyStatus maps an HTTP status to a remote error, or nil.
func classifyStatus(status int) error {
	switch {
	case status == http.StatusNotFound:
		return remote.ErrNotFound
	case status == http.StatusPreconditionFailed, status == http.StatusConflict:
		return remote.ErrPreconditionFailed
	case status == http.StatusTooManyRequests, status == http.StatusRequestTimeout, status >= 500:
		return remote.ErrUnavailable
	}
	return nil
}

// isTransient reports whether err, which carries no HTTP status, is a
// failure of the connection: not sent, refused, reset, cut short or
// timed out (the per-attempt deadline, not the caller's).
func isTransient(err error) bool {
	var sendErr *smithyhttp.RequestSendError
	var netErr net.Error
	return errors.As(err, &sendErr) ||
		errors.As(err, &netErr) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE)
}
