package local

import (
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sealfs/sealfs/remote"
)

// isRegular and isDir report the file type recorded in st.
func isRegular(st *unix.Stat_t) bool { return st.Mode&unix.S_IFMT == unix.S_IFREG }
func isDir(st *unix.Stat_t) bool     { return st.Mode&unix.S_IFMT == unix.S_IFDIR }

// fileVersion is the version token of a stored file: its inode number,
// modification time in nanoseconds and size. Commit renames a new inode
// into place and stamps its mtime, so the token changes on every commit.
func fileVersion(st *unix.Stat_t) string {
	b := make([]byte, 0, 64)
	b = append(b, 'i')
	b = strconv.AppendUint(b, st.Ino, 10)
	b = append(b, "-m"...)
	b = strconv.AppendInt(b, st.Mtim.Nano(), 10)
	b = append(b, "-s"...)
	b = strconv.AppendInt(b, st.Size, 10)
	return string(b)
}

// dirVersion is the version token of a directory marker: the directory's
// inode number (its mtime moves whenever an entry changes, so it is left out).
func dirVersion(st *unix.Stat_t) string {
	return "i" + strconv.FormatUint(st.Ino, 10) + "-dir"
}

// statInfo describes the file or directory st under key.
func statInfo(key string, st *unix.Stat_t) remote.Info {
	info := remote.Info{Key: key, ModTime: time.Unix(st.Mtim.Unix())}
	if isDir(st) {
		info.Version = dirVersion(st)
		return info
	}
	info.Size = st.Size
	info.Version = fileVersion(st)
	return info
}
