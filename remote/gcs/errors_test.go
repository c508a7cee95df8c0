package gcs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
	"testing"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"

	"github.com/sealfs/sealfs/remote"
)

func TestMapError(t *testing.T) {
	dialRefused := &url.Error{Op: "Get", URL: "http://127.0.0.1:1/x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	tests := []struct {
		name        string
		err         error
		conditional bool
		want        error // nil: none of the remote errors
	}{
		{"object not found", storage.ErrObjectNotExist, false, remote.ErrNotFound},
		{"404", &googleapi.Error{Code: 404}, false, remote.ErrNotFound},
		{"412", &googleapi.Error{Code: 412}, true, remote.ErrPreconditionFailed},
		{"409 conditional", &googleapi.Error{Code: 409}, true, remote.ErrPreconditionFailed},
		{"409 unconditional", &googleapi.Error{Code: 409}, false, remote.ErrUnavailable},
		{"408", &googleapi.Error{Code: 408}, false, remote.ErrUnavailable},
		{"429", &googleapi.Error{Code: 429}, false, remote.ErrUnavailable},
		{"500", &googleapi.Error{Code: 500}, false, remote.ErrUnavailable},
		{"503 wrapped", fmt.Errorf("storage: %w", &googleapi.Error{Code: 503}), false, remote.ErrUnavailable},
		{"connection refused", dialRefused, false, remote.ErrUnavailable},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), false, remote.ErrUnavailable},
		{"cut short", io.ErrUnexpectedEOF, false, remote.ErrUnavailable},
		{"attempt timeout", context.DeadlineExceeded, false, remote.ErrUnavailable},
		{"403", &googleapi.Error{Code: 403}, false, nil},
		{"400", &googleapi.Error{Code: 400}, false, nil},
		{"other", errors.New("boom"), false, nil},
	}
	sentinels := []error{remote.ErrNotFound, remote.ErrPreconditionFailed, remote.ErrUnavailable}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mapError(t.Context(), "op", "k", tt.err, tt.conditional)
			if !errors.Is(got, tt.err) {
				t.Errorf("mapError(%v) = %v, which lost the cause", tt.err, got)
			}
			for _, s := range sentinels {
				if errors.Is(got, s) != (s == tt.want) {
					t.Errorf("mapError(%v) = %v: errors.Is(%v) = %v", tt.err, got, s, !(s == tt.want))
				}
			}
		})
	}
}

func TestMapErrorCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	got := mapError(ctx, "op", "k", &googleapi.Error{Code: 503}, false)
	if !errors.Is(got, context.Canceled) || errors.Is(got, remote.ErrUnavailable) {
		t.Fatalf("mapError with a cancelled context = %v, want context.Canceled and not ErrUnavailable", got)
	}
}
