package keyring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// commandTimeout bounds how long a key command may run.
const commandTimeout = 30 * time.Second

// commandWaitDelay bounds how long to wait for a killed command's pipes to close.
const commandWaitDelay = 2 * time.Second

// maxStderrInError is how much of a failed command's stderr goes into the error.
const maxStderrInError = 200

// runKeyCommand runs argv (no shell) and returns its stdout, at most
// maxKeySourceSize bytes. hiddenEnv names environment variables the child
// must not inherit (other key sources). Errors name the command and quote
// up to maxStderrInError bytes of its stderr, never its stdout. The caller
// must wipe the returned buffer.
func runKeyCommand(ctx context.Context, argv, hiddenEnv []string) (*secretBuffer, error) {
	name := filepath.Base(argv[0])
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()

	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = environWithout(os.Environ(), hiddenEnv)
	cmd.WaitDelay = commandWaitDelay
	stdout := newSecretBuffer(maxKeySourceSize)
	stderr := &prefixWriter{limit: maxStderrInError}
	cmd.Stdout = stdout
	cmd.Stderr = stderr

	err := cmd.Run()
	if err == nil {
		return stdout, nil
	}
	stdout.wipe()
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("keyring: cmd:%s: command %s did not finish within %s or was cancelled: %w", name, name, commandTimeout, ctx.Err())
	case stdout.overflow:
		return nil, fmt.Errorf("keyring: cmd:%s: command %s printed more than %d bytes; a key is one base64 line %s", name, name, maxKeySourceSize, keygenHint)
	case errors.As(err, &exitErr):
		return nil, fmt.Errorf("keyring: cmd:%s: command %s failed (%s); stderr: %q", name, name, exitErr.ProcessState, stderr.text())
	}
	return nil, fmt.Errorf("keyring: cmd:%s: running command %s: %w", name, name, err)
}

// environWithout returns env minus the NAME=value entries for hidden names.
func environWithout(env, hidden []string) []string {
	return slices.DeleteFunc(env, func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return slices.Contains(hidden, name)
	})
}

// prefixWriter keeps the first limit bytes written and discards the rest.
type prefixWriter struct {
	limit int
	buf   []byte
}

// Write keeps what fits under the limit and always reports success.
func (w *prefixWriter) Write(p []byte) (int, error) {
	if room := w.limit - len(w.buf); room > 0 {
		w.buf = append(w.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// text returns the kept bytes without surrounding whitespace.
func (w *prefixWriter) text() string {
	return string(bytes.TrimSpace(w.buf))
}
