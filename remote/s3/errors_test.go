package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"syscall"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sealfs/sealfs/remote"
)

// responseError builds the error the SDK returns for an HTTP answer with
// status and, if code is not empty, an S3 error code.
func responseError(status int, code string) error {
	var cause error = errors.New("no body")
	if code != "" {
		cause = &smithy.GenericAPIError{Code: code, Message: "message"}
	}
	return &smithy.OperationError{ServiceID: "S3", OperationName: "Op", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
			Err:      cause,
		},
	}}
}

func TestMapError(t *testing.T) {
	sendErr := func(cause error) error {
		return &smithy.OperationError{ServiceID: "S3", OperationName: "Op", Err: &awshttp.ResponseError{
			ResponseError: &smithyhttp.ResponseError{
				Response: &smithyhttp.Response{Response: &http.Response{}},
				Err:      &smithyhttp.RequestSendError{Err: cause},
			},
		}}
	}
	tests := []struct {
		name string
		err  error
		want error // nil: none of the remote errors
	}{
		{"404 HEAD", responseError(404, ""), remote.ErrNotFound},
		{"NoSuchKey", responseError(404, "NoSuchKey"), remote.ErrNotFound},
		{"NoSuchBucket", responseError(404, "NoSuchBucket"), errNoSuchBucket},
		{"412", responseError(412, "PreconditionFailed"), remote.ErrPreconditionFailed},
		{"409 conditional conflict", responseError(409, "ConditionalRequestConflict"), remote.ErrPreconditionFailed},
		{"409 operation aborted", responseError(409, "OperationAborted"), remote.ErrUnavailable},
		{"503 SlowDown", responseError(503, "SlowDown"), remote.ErrUnavailable},
		{"429", responseError(429, ""), remote.ErrUnavailable},
		{"500", responseError(500, "InternalError"), remote.ErrUnavailable},
		{"502 without code", responseError(502, ""), remote.ErrUnavailable},
		{"400 RequestTimeout", responseError(400, "RequestTimeout"), remote.ErrUnavailable},
		{"403", responseError(403, "AccessDenied"), nil},
		{"400 InvalidArgument", responseError(400, "InvalidArgument"), nil},
		{"connection refused", sendErr(syscall.ECONNREFUSED), remote.ErrUnavailable},
		{"connection reset in body", fmt.Errorf("read body: %w", syscall.ECONNRESET), remote.ErrUnavailable},
		{"body cut short", io.ErrUnexpectedEOF, remote.ErrUnavailable},
		{"attempt timed out", sendErr(context.DeadlineExceeded), remote.ErrUnavailable},
		{"other", errors.New("something else"), nil},
	}
	sentinels := []error{remote.ErrNotFound, remote.ErrPreconditionFailed, remote.ErrUnavailable, errNoSuchBucket}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mapError(context.Background(), "op", "k", tt.err)
			if !errors.Is(got, tt.err) {
				t.Errorf("mapError lost the cause: %v", got)
			}
			for _, s := range sentinels {
				if errors.Is(got, s) != (s == tt.want) {
					t.Errorf("mapError(%v) = %v; errors.Is(%v) = %v", tt.err, got, s, !(s == tt.want))
				}
			}
		})
	}
}

// TestMapErrorCallerContext checks that the caller's cancellation or
// deadline wins over the failure it caused, which is not retryable.
func TestMapErrorCallerContext(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithTimeout(context.Background(), 0)
	defer cancel2()
	for _, tt := range []struct {
		ctx  context.Context
		want error
	}{{cancelled, context.Canceled}, {expired, context.DeadlineExceeded}} {
		got := mapError(tt.ctx, "op", "k", responseError(503, "SlowDown"))
		if !errors.Is(got, tt.want) || errors.Is(got, remote.ErrUnavailable) {
			t.Errorf("mapError under %v = %v, want %v and not ErrUnavailable", tt.want, got, tt.want)
		}
	}
	if mapError(context.Background(), "op", "k", nil) != nil {
		t.Error("mapError(nil) != nil")
	}
}
