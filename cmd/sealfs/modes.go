package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/urfave/cli/v2"
)

// permBits is a mode setting (file_mode, dir_mode, umask) written as an
// octal string such as "0640"; set tells an explicit "0000" from unset.
type permBits struct {
	bits uint32
	set  bool
}

// errBadMode is what every malformed mode setting wraps.
var errBadMode = errors.New(`want octal permission bits such as "0640" (0000..0777)`)

// UnmarshalJSON reads an octal string. JSON numbers are refused: 640
// would not mean 0640.
func (p *permBits) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("mode %s: write it as a JSON string: %w", data, errBadMode)
	}
	v, err := parsePermBits(s)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// parsePermBits reads one to four octal digits holding permission bits
// only: no set-id or sticky bits, no file type.
func parsePermBits(s string) (permBits, error) {
	if len(s) == 0 || len(s) > 4 {
		return permBits{}, fmt.Errorf("mode %q: %w", s, errBadMode)
	}
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n&^0o777 != 0 {
		return permBits{}, fmt.Errorf("mode %q: %w", s, errBadMode)
	}
	return permBits{bits: uint32(n), set: true}, nil
}

// modeFlag is a mount flag of a mode setting and its config key.
type modeFlag struct{ flag, key, usage string }

// modeFlags returns the mount flags of the mode settings.
func modeFlags() []modeFlag {
	return []modeFlag{
		{"file-mode", "file_mode", "permission bits of files whose own mode is not recorded, such as every file after a remount (default 0600, 0640 with --gid)"},
		{"dir-mode", "dir_mode", "permission bits of directories whose own mode is not recorded, and of the root (default 0700, 0750 with --gid)"},
		{"umask", "umask", "bits cleared from every mode shown and created, chmod included (default none; 077 keeps the mount owner-only)"},
	}
}

// modeSetting returns the config field of a mode setting.
func (c *config) modeSetting(key string) *permBits {
	switch key {
	case "file_mode":
		return &c.FileMode
	case "dir_mode":
		return &c.DirMode
	}
	return &c.Umask
}

// modeCLIFlags returns the mount command's flags of the mode settings.
func modeCLIFlags() []cli.Flag {
	var flags []cli.Flag
	for _, m := range modeFlags() {
		flags = append(flags, &cli.StringFlag{Name: m.flag, Usage: m.usage})
	}
	return flags
}

// applyModeFlags sets the mode settings given as flags (flags win).
func applyModeFlags(c *cli.Context, cfg *config) error {
	for _, m := range modeFlags() {
		if !c.IsSet(m.flag) {
			continue
		}
		v, err := parsePermBits(c.String(m.flag))
		if err != nil {
			return fmt.Errorf("mount: --%s: %w", m.flag, err)
		}
		*cfg.modeSetting(m.key) = v
	}
	return nil
}

// modes returns the file mode, directory mode and umask of the mount:
// unset modes are the owner's only (0600, 0700), or the owner's and the
// group's read (0640, 0750) when a group is configured. A mode of 0000
// is refused: it would lock the owner out, and umask is the way to
// restrict a mount.
func (c *config) modes() (file, dir, umask uint32, err error) {
	file, dir = 0o600, 0o700
	if c.GID != "" {
		file, dir = 0o640, 0o750
	}
	if c.FileMode.set {
		file = c.FileMode.bits
	}
	if c.DirMode.set {
		dir = c.DirMode.bits
	}
	if file == 0 || dir == 0 {
		return 0, 0, 0, fmt.Errorf("config: file_mode and dir_mode must not be 0000 (nobody could use the files); set umask to restrict a mount: %w", errBadMode)
	}
	return file, dir, c.Umask.bits, nil
}
