// Package gcs implements remote.Store over a Google Cloud Storage bucket,
// through cloud.google.com/go/storage (JSON API for metadata and uploads,
// XML API for reads, as the library does by default).
//
// Key "a/b" is the object Prefix+"a/b". Version tokens are object
// generations in decimal. Uploads are staged in a spool file under
// Config.SpoolDir, then sent on Commit in one request when they are at most
// 16 MiB, as a resumable upload in 16 MiB chunks above that; the spool file
// carries a running CRC32C that the service checks, so a corrupted or
// truncated body never becomes an object. Conditional commits and deletes
// use the service's generation preconditions (ifGenerationMatch, with 0
// meaning "does not exist"). Reads are pinned to the generation seen at
// Open: once that generation is replaced, a read fails with
// remote.ErrPreconditionFailed instead of returning newer bytes.
//
// The library's own retries are disabled (every call is one attempt, chunk
// uploads included): the caller's retry wrapper retries errors wrapped with
// remote.ErrUnavailable.
package gcs
