package keyring

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// Spec says where one KEK comes from. Exactly one of File, Env, Command,
// Credential is set.
type Spec struct {
	// ID names the KEK in key slots.
	ID uint32
	// State is what the KEK may be used for.
	State State
	// File is the path of a key file (mode 0600 or 0400, owned by this user or root).
	File string
	// Env is the name of an environment variable holding the key; it is unset once read.
	Env string
	// Command is a program and its arguments (no shell) that prints the key on stdout.
	Command []string
	// Credential is the name of a systemd credential, read from
	// $CREDENTIALS_DIRECTORY/NAME (LoadCredential=, LoadCredentialEncrypted=).
	Credential string
}

// source names where the spec's key comes from, for errors and audit lines:
// the file path, "env:NAME", "cmd:NAME" or "credential:NAME".
func (s Spec) source() string {
	switch {
	case s.File != "":
		return s.File
	case s.Env != "":
		return "env:" + s.Env
	case len(s.Command) > 0:
		return "cmd:" + filepath.Base(s.Command[0])
	case s.Credential != "":
		return "credential:" + s.Credential
	}
	return "(no source)"
}

// validate checks that exactly one source is set and the state is known.
func (s Spec) validate() error {
	sources := 0
	if s.File != "" {
		sources++
	}
	if s.Env != "" {
		sources++
		if strings.ContainsAny(s.Env, "=\x00") {
			return fmt.Errorf("keyring: key %d: invalid environment variable name %q", s.ID, s.Env)
		}
	}
	if len(s.Command) > 0 {
		sources++
		if s.Command[0] == "" {
			return fmt.Errorf("keyring: key %d: empty command name", s.ID)
		}
	}
	if s.Credential != "" {
		sources++
		if err := validCredentialName(s.Credential); err != nil {
			return fmt.Errorf("keyring: key %d: %w", s.ID, err)
		}
	}
	if sources != 1 {
		return fmt.Errorf("keyring: key %d: want exactly one of file, env, command or credential, got %d", s.ID, sources)
	}
	if s.State < Current || s.State > Revoked {
		return fmt.Errorf("keyring: key %d from %s: invalid state %d", s.ID, s.source(), int(s.State))
	}
	return nil
}

// ParseSpecString parses the command-line form "ID:PATH" of a key file,
// such as "2:/etc/sealfs/kek-2.key". ID is a decimal uint32.
func ParseSpecString(s string) (id uint32, path string, err error) {
	idText, path, found := strings.Cut(s, ":")
	if !found {
		return 0, "", fmt.Errorf("keyring: key spec %q: want ID:PATH, such as 2:/etc/sealfs/kek-2.key", s)
	}
	n, err := strconv.ParseUint(idText, 10, 32)
	if err != nil {
		return 0, "", fmt.Errorf("keyring: key spec %q: id %q is not a decimal number from 0 to 4294967295", s, idText)
	}
	if path == "" {
		return 0, "", fmt.Errorf("keyring: key spec %q: empty path; want ID:PATH", s)
	}
	return uint32(n), path, nil
}
