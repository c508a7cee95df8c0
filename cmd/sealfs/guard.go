package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"
)

// fsImmutableFlag is FS_IMMUTABLE_FL from linux/fs.h (chattr +i).
const fsImmutableFlag = 0x00000010

// selfMountinfo lists the mounts this process sees.
const selfMountinfo = "/proc/self/mountinfo"

// errGuard marks every refusal of the guard command.
var errGuard = errors.New("guard")

func guardCommand() *cli.Command {
	return &cli.Command{
		Name:      "guard",
		Usage:     "make an unmounted mount point unwritable, so nothing lands there while sealfs is down",
		ArgsUsage: "MOUNTPOINT",
		Description: `When the mount is missing (before sealfs starts, or after it dies), an
application such as Orthanc writes into the bare mount-point directory, in
plaintext, and reports success. "sealfs guard" prevents that: MOUNTPOINT must be
an empty directory that is not mounted; it becomes owned by root:root with
mode 0000 and gets the immutable attribute (as "chattr +i"), so that no one,
not even root, can create anything in it. sealfs (FUSE) still mounts over it,
and the mount's own permissions apply while it is mounted.

Needs root (CAP_LINUX_IMMUTABLE) and a filesystem with the immutable
attribute (ext4, XFS, Btrfs, tmpfs). --undo clears the attribute and sets
--mode; it leaves the owner as root.`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "undo", Usage: "clear the immutable attribute and restore --mode"},
			&cli.StringFlag{Name: "mode", Value: "0755", Usage: "permissions set by --undo (octal)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("%w: want exactly one MOUNTPOINT (see sealfs guard --help)", errGuard)
			}
			dir, err := guardTarget(c.Args().First())
			if err != nil {
				return err
			}
			if c.Bool("undo") {
				mode, err := strconv.ParseUint(c.String("mode"), 8, 32)
				if err != nil || mode > 0o7777 {
					return fmt.Errorf("%w: --mode %q: want octal permissions such as 0755", errGuard, c.String("mode"))
				}
				if err := unguard(dir, uint32(mode)); err != nil {
					return err
				}
				fmt.Fprintf(c.App.Writer, "unguarded %s: immutable attribute cleared, mode %04o\n", dir, mode)
				return nil
			}
			already, err := guard(dir, nil)
			if err != nil {
				return err
			}
			if already {
				fmt.Fprintf(c.App.Writer, "%s is already guarded\n", dir)
				return nil
			}
			fmt.Fprintf(c.App.Writer, "guarded %s: root:root, mode 0000, immutable; sealfs can still mount over it\n", dir)
			return nil
		},
	}
}

// guardTarget resolves path to an absolute path (symbolic links in its
// parent resolved, as mountinfo writes it), requires a real directory there,
// and refuses a mount point.
func guardTarget(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", errGuard, path, err)
	}
	if abs == "/" {
		return "", fmt.Errorf("%w: refusing to guard /", errGuard)
	}
	parent, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return "", fmt.Errorf("%w: %w", errGuard, err)
	}
	dir := filepath.Join(parent, filepath.Base(abs))
	mounted, err := isMountPoint(dir)
	if err != nil {
		return "", err
	}
	if mounted {
		return "", fmt.Errorf("%w: %s is a mount point; unmount it first (guard the directory underneath)", errGuard, dir)
	}
	info, err := os.Lstat(dir)
	if err != nil {
		return "", fmt.Errorf("%w: %w", errGuard, err)
	}
	if !info.IsDir() {
		return "", fmt.Errorf("%w: %s is not a directory", errGuard, dir)
	}
	return dir, nil
}

// guard applies root:root, mode 0000 and the immutable attribute to the
// empty directory dir. already reports a directory that was guarded before.
// Emptiness is checked again once the directory is immutable, since a file
// may have been created between the first check and the attribute; if so,
// the attribute is cleared again and guard fails. afterImmutable, if not
// nil, runs just after the attribute is set (tests use it to win that race).
func guard(dir string, afterImmutable func()) (already bool, err error) {
	fd, flags, err := openDirFlags(dir)
	if err != nil {
		return false, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return false, fmt.Errorf("%w: stat %s: %w", errGuard, dir, err)
	}
	if err := requireEmpty(fd, dir); err != nil {
		return false, err
	}
	if flags&fsImmutableFlag != 0 {
		if st.Uid == 0 && st.Gid == 0 && st.Mode&0o7777 == 0 {
			return true, nil
		}
		return false, fmt.Errorf("%w: %s is immutable but not root:root with mode 0000; run sealfs guard --undo first", errGuard, dir)
	}
	if err := unix.Fchown(fd, 0, 0); err != nil {
		return false, fmt.Errorf("%w: chown root:root %s: %w", errGuard, dir, err)
	}
	if err := unix.Fchmod(fd, 0); err != nil {
		return false, fmt.Errorf("%w: chmod 0000 %s: %w", errGuard, dir, err)
	}
	if err := setFlags(fd, dir, flags|fsImmutableFlag); err != nil {
		return false, err
	}
	if afterImmutable != nil {
		afterImmutable()
	}
	if err := requireEmpty(fd, dir); err != nil {
		if undoErr := setFlags(fd, dir, flags); undoErr != nil {
			return false, fmt.Errorf("%w (and clearing the immutable attribute again failed: %w)", err, undoErr)
		}
		return false, fmt.Errorf("%w (a file appeared while guarding; the immutable attribute was cleared again)", err)
	}
	return false, nil
}

// unguard clears the immutable attribute of dir and sets mode.
func unguard(dir string, mode uint32) error {
	fd, flags, err := openDirFlags(dir)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if flags&fsImmutableFlag != 0 {
		if err := setFlags(fd, dir, flags&^fsImmutableFlag); err != nil {
			return err
		}
	}
	if err := unix.Fchmod(fd, mode); err != nil {
		return fmt.Errorf("%w: chmod %04o %s: %w", errGuard, mode, dir, err)
	}
	return nil
}

// openDirFlags opens dir without following a symbolic link and reads its
// inode flags (chattr's attributes).
func openDirFlags(dir string) (int, uint32, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, 0, fmt.Errorf("%w: open %s: %w", errGuard, dir, err)
	}
	flags, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
	if err != nil {
		unix.Close(fd)
		return -1, 0, fmt.Errorf("%w: reading the attributes of %s: %w", errGuard, dir, explainFlagsErr(err))
	}
	return fd, flags, nil
}

// setFlags writes the inode flags of the open directory.
func setFlags(fd int, dir string, flags uint32) error {
	if err := unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, int(flags)); err != nil {
		return fmt.Errorf("%w: setting the attributes of %s: %w", errGuard, dir, explainFlagsErr(err))
	}
	return nil
}

// explainFlagsErr adds what to do to the usual failures of the flags ioctls.
func explainFlagsErr(err error) error {
	switch {
	case errors.Is(err, unix.ENOTTY), errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.EINVAL):
		return fmt.Errorf("the filesystem does not support the immutable attribute (chattr +i): %w", err)
	case errors.Is(err, unix.EPERM):
		return fmt.Errorf("needs root (CAP_LINUX_IMMUTABLE): %w", err)
	}
	return err
}

// requireEmpty fails unless the open directory has no entries.
func requireEmpty(fd int, dir string) error {
	dup, err := unix.Dup(fd)
	if err != nil {
		return fmt.Errorf("%w: reading %s: %w", errGuard, dir, err)
	}
	f := os.NewFile(uintptr(dup), dir)
	defer f.Close()
	// The duplicate shares the offset of fd: read from the start, or a
	// second check would see the end of the first one's listing.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("%w: reading %s: %w", errGuard, dir, err)
	}
	names, err := f.Readdirnames(1)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: reading %s: %w", errGuard, dir, err)
	}
	if len(names) > 0 {
		return fmt.Errorf("%w: %s is not empty (it holds %q): move its contents away first", errGuard, dir, names[0])
	}
	return nil
}

// isMountPoint reports whether dir appears as a mount point in
// /proc/self/mountinfo.
func isMountPoint(dir string) (bool, error) {
	f, err := os.Open(selfMountinfo)
	if err != nil {
		return false, fmt.Errorf("%w: %w", errGuard, err)
	}
	defer f.Close()
	points, err := mountPoints(f)
	if err != nil {
		return false, fmt.Errorf("%w: %s: %w", errGuard, selfMountinfo, err)
	}
	for _, p := range points {
		if p == dir {
			return true, nil
		}
	}
	return false, nil
}

// mountPoints returns the mount point (fifth field, unescaped) of every
// line of a mountinfo file.
func mountPoints(r io.Reader) ([]string, error) {
	entries, err := mountEntries(r)
	if err != nil {
		return nil, err
	}
	var points []string
	for _, e := range entries {
		points = append(points, e.point)
	}
	return points, nil
}

// unescapeMountinfo turns the kernel's octal escapes (\040 for a space,
// \011, \012, \134) back into bytes; anything else is kept as it is.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
