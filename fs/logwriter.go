package fs

import (
	"log/slog"
	"strings"
)

// slogWriter forwards go-fuse's log.Logger lines to slog.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Warn("fuse", "msg", strings.TrimSpace(string(p)))
	return len(p), nil
}
