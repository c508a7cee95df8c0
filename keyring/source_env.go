package keyring

import (
	"fmt"
	"os"
)

// readEnvKey reads the environment variable name and unsets it, so that
// child processes never inherit the key. The caller must wipe the buffer.
// Go strings cannot be zeroed: the value may survive in memory, and the
// process's original environment stays visible in /proc/PID/environ.
func readEnvKey(name string) (*secretBuffer, error) {
	value, ok := os.LookupEnv(name)
	if !ok {
		return nil, fmt.Errorf("keyring: env:%s: environment variable %s is not set", name, name)
	}
	if err := os.Unsetenv(name); err != nil {
		return nil, fmt.Errorf("keyring: env:%s: unsetting: %w", name, err)
	}
	if value == "" {
		return nil, fmt.Errorf("keyring: env:%s: environment variable %s is empty", name, name)
	}
	buf := newSecretBuffer(maxKeySourceSize)
	if _, err := buf.WriteString(value); err != nil {
		buf.wipe()
		return nil, fmt.Errorf("keyring: env:%s: value is longer than %d bytes %s", name, maxKeySourceSize, keygenHint)
	}
	return buf, nil
}
