package fs

import (
	"log/slog"
	"strconv"
	"strings"
)

// slogWriter forwards go-fuse's log.Logger lines to slog, with file
// contents redacted (see redactFUSE): with MountOptions.Debug, go-fuse
// logs every request and reply, and would otherwise log the first bytes
// of every WRITE and READ, symlink targets and extended attribute values.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Warn("fuse", "msg", redactFUSE(strings.TrimSpace(string(p))))
	return len(p), nil
}

// redacted replaces every quoted string of a FUSE debug line that may
// hold file contents.
const redacted = "[redacted]"

// namesShown returns how many leading quoted strings of a request line
// of operation op are names that may be logged: entry names, both names of
// a rename, the name (not the target) of a symlink, the name (not the
// value) of an extended attribute. Every other quoted string is data.
func namesShown(op string) int {
	switch op {
	case "LOOKUP", "CREATE", "TMPFILE", "MKDIR", "MKNOD", "RMDIR", "UNLINK", "LINK", "SYMLINK", "SETXATTR", "GETXATTR", "REMOVEXATTR":
		return 1
	case "RENAME", "RENAME2":
		return 2
	}
	return 0
}

// redactFUSE returns a go-fuse debug line with every quoted string that
// may hold file contents replaced by [redacted]: in a request line ("rx
// N: OP ..."), all but the leading names of the operation (namesShown);
// in a reply or notification line ("tx N: ..."), all of them (read data,
// symlink targets, attribute values and names). Other lines are kept.
// A quoted string that does not end (a line cut short) is redacted to
// the end of the line.
func redactFUSE(line string) string {
	keep := 0
	switch {
	case strings.HasPrefix(line, "rx "):
		if f := strings.Fields(line); len(f) > 2 {
			keep = namesShown(f[2])
		}
	case strings.HasPrefix(line, "tx "):
	default:
		return line
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(line, '"')
		if i < 0 {
			b.WriteString(line)
			return b.String()
		}
		b.WriteString(line[:i])
		q, err := strconv.QuotedPrefix(line[i:])
		if err != nil {
			b.WriteString(redacted)
			return b.String()
		}
		if keep > 0 {
			b.WriteString(q)
			keep--
		} else {
			b.WriteString(redacted)
		}
		line = line[i+len(q):]
	}
}
