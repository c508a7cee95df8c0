package azure

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"syscall"
	"testing"

	"github.com/sealfs/sealfs/remote"
)

// secretSAS is a SAS token that must never appear in an error.
const secretSAS = "sv=2024-01-01&sig=TOPSECRETSIGNATURE"

// TestErrorMapping checks, with canned answers and no server, how every
// operation maps the service's statuses and transport failures.
func TestErrorMapping(t *testing.T) {
	connReset := &url.Error{Op: "Get", URL: "https://acct.blob.core.windows.net/c/k?" + secretSAS, Err: syscall.ECONNRESET}
	tests := []struct {
		name string
		rt   cannedTransport
		want error // nil: none of remote's kinds
	}{
		{"not found", cannedTransport{status: 404, code: "BlobNotFound"}, remote.ErrNotFound},
		{"precondition", cannedTransport{status: 412, code: "ConditionNotMet"}, remote.ErrPreconditionFailed},
		{"already exists", cannedTransport{status: 409, code: "BlobAlreadyExists"}, remote.ErrPreconditionFailed},
		{"throttled", cannedTransport{status: 429}, remote.ErrUnavailable},
		{"server busy", cannedTransport{status: 503, code: "ServerBusy"}, remote.ErrUnavailable},
		{"internal error", cannedTransport{status: 500, code: "InternalError"}, remote.ErrUnavailable},
		{"connection reset", cannedTransport{err: connReset}, remote.ErrUnavailable},
		{"connection refused", cannedTransport{err: syscall.ECONNREFUSED}, remote.ErrUnavailable},
		{"forbidden", cannedTransport{status: 403, code: "AuthenticationFailed"}, nil},
		{"other conflict", cannedTransport{status: 409, code: "LeaseIdMissing"}, nil},
	}
	kinds := []error{remote.ErrNotFound, remote.ErrPreconditionFailed, remote.ErrUnavailable, remote.ErrInvalidKey}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := cannedStore(t, tt.rt)
			ctx := t.Context()
			up, err := s.Create(ctx, "k")
			if err != nil {
				t.Fatal(err)
			}
			defer up.Abort()
			ops := map[string]error{}
			_, ops["Stat"] = s.Stat(ctx, "k")
			_, ops["Open"] = s.Open(ctx, "k", "")
			_, ops["Commit"] = up.Commit(ctx, remote.Condition{})
			ops["List"] = s.List(ctx, "", true, func(remote.Entry) error { return nil })
			for op, err := range ops {
				if err == nil {
					t.Errorf("%s succeeded", op)
					continue
				}
				for _, kind := range kinds {
					if got := errors.Is(err, kind); got != (kind == tt.want) {
						t.Errorf("%s: error %q: errors.Is(%v) = %v", op, err, kind, got)
					}
				}
				if strings.Contains(err.Error(), "TOPSECRET") {
					t.Errorf("%s: error %q contains the SAS signature", op, err)
				}
			}
		})
	}
}

// TestDeleteMapping checks Delete's special cases: a missing key is
// deleted, unless a version was required.
func TestDeleteMapping(t *testing.T) {
	s := cannedStore(t, cannedTransport{status: 404, code: "BlobNotFound"})
	if err := s.Delete(t.Context(), "k", remote.Condition{}); err != nil {
		t.Errorf("Delete of a missing key: %v", err)
	}
	if err := s.Delete(t.Context(), "k", remote.Condition{IfMatch: `"0x1"`}); !errors.Is(err, remote.ErrPreconditionFailed) {
		t.Errorf("Delete(IfMatch) of a missing key: %v, want ErrPreconditionFailed", err)
	}
	if err := s.Delete(t.Context(), "k", remote.Condition{IfAbsent: true}); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Delete(IfAbsent): %v, want ErrUnsupported", err)
	}
}

// TestCallerDeadline checks that the caller's own expired deadline is
// reported as such, not as a transient failure to retry.
func TestCallerDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 0)
	defer cancel()
	err := mapError(ctx, "stat", "k", fmt.Errorf("wrapped: %w", context.DeadlineExceeded))
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, remote.ErrUnavailable) {
		t.Errorf("mapError under an expired caller deadline = %v", err)
	}
	err = mapError(t.Context(), "stat", "k", fmt.Errorf("wrapped: %w", context.DeadlineExceeded))
	if !errors.Is(err, remote.ErrUnavailable) {
		t.Errorf("mapError of an attempt's own timeout = %v, want ErrUnavailable", err)
	}
}

// cannedStore returns a store (SAS authentication, so that the secret
// travels in URLs) whose every request gets rt's answer, built without
// New's container check.
func cannedStore(t *testing.T, rt cannedTransport) *Store {
	t.Helper()
	cfg, err := Config{
		Container: "c", AccountName: "acct", SASToken: secretSAS,
		SpoolDir: t.TempDir(), transport: rt,
	}.normalized()
	if err != nil {
		t.Fatal(err)
	}
	client, err := newContainerClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{
		container: client, containerName: cfg.Container, spoolDir: cfg.SpoolDir,
		requestTimeout: cfg.RequestTimeout, log: cfg.Logger, listPageSize: defaultListPageSize,
	}
	s.readCtx, s.cancelRead = context.WithCancel(context.Background())
	t.Cleanup(func() { s.Close() })
	return s
}
