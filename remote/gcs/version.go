package gcs

import (
	"strconv"
	"time"

	"cloud.google.com/go/storage"

	"github.com/sealfs/sealfs/remote"
)

// formatVersion returns the version token of a generation.
func formatVersion(generation int64) string {
	return strconv.FormatInt(generation, 10)
}

// parseVersion returns the generation a version token names, or false
// if the token is not one this store issues (a positive decimal number).
func parseVersion(version string) (int64, bool) {
	generation, err := strconv.ParseInt(version, 10, 64)
	if err != nil || generation <= 0 || formatVersion(generation) != version {
		return 0, false
	}
	return generation, true
}

// infoOf describes the object attrs under key.
func infoOf(key string, attrs *storage.ObjectAttrs) remote.Info {
	modTime := attrs.Updated
	if modTime.IsZero() {
		modTime = attrs.Created
	}
	return remote.Info{
		Key:     key,
		Size:    attrs.Size,
		Version: formatVersion(attrs.Generation),
		ModTime: modTime.Round(0).In(time.UTC),
	}
}
