package keyring

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLoadCommand(t *testing.T) {
	key, encoded := testKey(10)
	log := &eventLog{}
	r, err := Load(context.Background(), []Spec{{ID: 4, State: Current, Command: []string{"/bin/sh", "-c", "printf '%s\\n' " + encoded}}}, log.auditor())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	defer r.Close()
	k, err := r.Current()
	if err != nil {
		t.Fatal(err)
	}
	if k.Source() != "cmd:sh" {
		t.Errorf("Source = %q, want cmd:sh", k.Source())
	}
	want, _ := NewKEK(4, Current, key, "want")
	assertSameKey(t, k, want)
	if e := log.last(t); e.Kind != KeyLoaded || e.Source != "cmd:sh" || e.KEKID != 4 || e.State != Current {
		t.Errorf("audit event = %+v, want key-loaded from cmd:sh", e)
	}
}

func TestLoadCommandWithEcho(t *testing.T) {
	_, encoded := testKey(11)
	r, err := Load(context.Background(), []Spec{{ID: 1, State: DecryptOnly, Command: []string{"/bin/echo", encoded}}}, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	r.Close()
}

func TestLoadCommandErrors(t *testing.T) {
	_, encoded := testKey(12)
	tests := []struct {
		name    string
		argv    []string
		want    []string
		notWant []string
	}{
		{
			name:    "non-zero exit",
			argv:    []string{"/bin/sh", "-c", "echo 'credential not found' >&2; echo " + encoded + "; exit 3"},
			want:    []string{"cmd:sh", "command sh failed", "exit status 3", "credential not found"},
			notWant: []string{encoded},
		},
		{
			name:    "long stderr is cut",
			argv:    []string{"/bin/sh", "-c", "printf 'x%.0s' $(seq 1 1000) >&2; exit 1"},
			want:    []string{"exit status 1", strings.Repeat("x", maxStderrInError)},
			notWant: []string{strings.Repeat("x", maxStderrInError+1)},
		},
		{
			name: "not found",
			argv: []string{"/nonexistent/sealfs-key-helper"},
			want: []string{"cmd:sealfs-key-helper", "running command sealfs-key-helper"},
		},
		{
			name: "empty output",
			argv: []string{"/bin/true"},
			want: []string{"cmd:true", "is empty"},
		},
		{
			name:    "malformed output",
			argv:    []string{"/bin/echo", encoded[:40]},
			want:    []string{"cmd:echo", "malformed key"},
			notWant: []string{encoded[:40]},
		},
		{
			name: "output too large",
			argv: []string{"/bin/sh", "-c", "head -c 100000 /dev/zero"},
			want: []string{"cmd:sh", "more than 4096 bytes"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(context.Background(), []Spec{{ID: 1, State: Current, Command: tt.argv}}, nil)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(err.Error(), w) {
					t.Errorf("error %q contains %q", err, w)
				}
			}
		})
	}
}

func TestLoadCommandTimeout(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := Load(ctx, []Spec{{ID: 1, State: Current, Command: []string{"sleep", "5"}}}, nil)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "cmd:sleep") {
		t.Fatalf("Load error = %v, want DeadlineExceeded naming cmd:sleep", err)
	}
}

func TestLoadCommandCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Load(ctx, []Spec{{ID: 1, State: Current, Command: []string{"/bin/echo", "x"}}}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Load error = %v, want context.Canceled", err)
	}
}

func TestLoadCommandDoesNotInheritEnvKeys(t *testing.T) {
	_, first := testKey(13)
	_, second := testKey(14)
	t.Setenv("SEALFS_TEST_KEK_B", second)
	script := `if [ -n "${SEALFS_TEST_KEK_B+set}" ]; then echo leaked >&2; exit 1; fi; echo ` + first
	r, err := Load(context.Background(), []Spec{
		{ID: 1, State: Current, Command: []string{"/bin/sh", "-c", script}},
		{ID: 2, State: DecryptOnly, Env: "SEALFS_TEST_KEK_B"},
	}, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	r.Close()
}
