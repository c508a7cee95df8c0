package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// mount(8) runs a helper for "-t fuse.sealfs" (and fstab lines of that
// type) as
//
//	/sbin/mount.fuse.sealfs STORE MOUNTPOINT [-sfnv] [-o OPTIONS] [-t TYPE]
//
// and fuse3's mount.fuse runs "sealfs STORE MOUNTPOINT -o OPTIONS" for
// "-t fuse" with the source "sealfs#STORE". Both come here: the options
// become the flags of "sealfs mount" (key_id=1 is --key-id=1), mount(8)'s
// own options are ignored, and anything else is refused by name.

// helperNames are the names under which sealfs acts as mount(8)'s helper.
var helperNames = []string{"mount.fuse.sealfs", "mount.sealfs"}

// ignoredMountOptions are mount(8)'s and systemd's own options, which mean
// nothing to the filesystem. sealfs mounts are always nosuid and nodev:
// "suid" and "dev" (which mount.fuse passes by default) change nothing.
var ignoredMountOptions = []string{
	"_netdev", "nofail", "noauto", "auto", "defaults", "user", "users", "nouser", "owner", "group",
	"rw", "nosuid", "nodev", "suid", "dev", "exec", "noexec", "atime", "noatime", "relatime", "strictatime", "nodiratime",
	"async", "sync", "dirsync", "lazytime", "nolazytime", "silent", "loud",
}

// errMountOption marks an option sealfs does not take.
var errMountOption = errors.New("mount option not supported")

// isMountHelperCall reports whether args (os.Args) is mount(8) or
// mount.fuse running sealfs as a helper.
func isMountHelperCall(args []string, commands []*cli.Command) bool {
	if slices.Contains(helperNames, filepath.Base(args[0])) {
		return true
	}
	if len(args) < 4 || strings.HasPrefix(args[1], "-") || !slices.Contains(args, "-o") {
		return false
	}
	for _, c := range commands {
		if c.HasName(args[1]) {
			return false
		}
	}
	return true
}

// mountHelperArgs turns a helper call's arguments (after the program
// name) into "mount FLAGS STORE MOUNTPOINT" for the app, with fake set for
// mount -f (check the options, mount nothing). flags are the flags of the
// mount command.
func mountHelperArgs(args []string, flags []cli.Flag) (out []string, fake bool, err error) {
	var positional, options []string
	sloppy := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-o" || a == "-t" || a == "-N":
			if i+1 == len(args) {
				return nil, false, fmt.Errorf("mount helper: %s needs a value", a)
			}
			i++
			switch a {
			case "-o":
				options = append(options, strings.Split(args[i], ",")...)
			case "-N":
				return nil, false, fmt.Errorf("mount helper: -N (mount namespaces): %w", errMountOption)
			}
		case strings.HasPrefix(a, "-o") && len(a) > 2:
			options = append(options, strings.Split(a[2:], ",")...)
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for _, c := range a[1:] {
				switch c {
				case 's':
					sloppy = true
				case 'f':
					fake = true
				case 'n', 'v':
				default:
					return nil, false, fmt.Errorf("mount helper: flag -%c: %w", c, errMountOption)
				}
			}
		default:
			positional = append(positional, a)
		}
	}
	if len(positional) != 2 {
		return nil, false, fmt.Errorf("mount helper: want STORE MOUNTPOINT, got %q", positional)
	}
	out = []string{"mount"}
	for _, opt := range options {
		flag, err := mountOptionFlag(opt, flags)
		switch {
		case err != nil && sloppy && errors.Is(err, errMountOption):
			fmt.Fprintf(os.Stderr, "sealfs: ignoring %v (mount -s)\n", err)
		case err != nil:
			return nil, false, err
		case flag != "":
			out = append(out, flag)
		}
	}
	return append(out, positional...), fake, nil
}

// mountOptionFlag maps one -o option to a flag of "sealfs mount" ("" for
// an option that is ignored).
func mountOptionFlag(opt string, flags []cli.Flag) (string, error) {
	name, value, hasValue := strings.Cut(opt, "=")
	switch {
	case name == "":
		return "", nil // ",," or a trailing comma
	case slices.Contains(ignoredMountOptions, name) || strings.HasPrefix(name, "x-") || name == "comment":
		return "", nil
	case name == "ro":
		return "", fmt.Errorf("mount option \"ro\": read-only mounts are not supported yet: %w", errMountOption)
	}
	flagName := strings.ReplaceAll(name, "_", "-")
	for _, f := range flags {
		if !slices.Contains(f.Names(), flagName) || flagName == "foreground" || flagName == "help" {
			continue
		}
		if _, isBool := f.(*cli.BoolFlag); isBool {
			if hasValue {
				return "", fmt.Errorf("mount option %q takes no value: %w", name, errMountOption)
			}
			return "--" + flagName, nil
		}
		if !hasValue || value == "" {
			return "", fmt.Errorf("mount option %q needs a value (%s=…): %w", name, name, errMountOption)
		}
		return "--" + flagName + "=" + value, nil
	}
	return "", fmt.Errorf("unknown mount option %q (see sealfs mount --help; write option names with _ for -): %w", name, errMountOption)
}
