// Package azure implements remote.Store over an Azure Blob Storage
// container, with block blobs.
//
// Key "a/b/c" is the blob Prefix+"a/b/c"; a directory marker "a/b/" is an
// empty blob whose name ends in "/". An object's version is its ETag.
// Uploads are staged in a spool file on local disk: up to 16 MiB they are
// sent on Commit with a single Put Blob; past 16 MiB every full 16 MiB
// block is staged (Put Block) in the background while the upload is still
// written, and Commit stages the rest and puts one Put Block List. Both carry the commit's condition as If-None-Match: * or
// If-Match, so the service decides it atomically. Reads are ranged GETs
// with If-Match on the ETag seen at Open, so a replaced blob fails the read
// with remote.ErrPreconditionFailed instead of mixing versions.
//
// The SDK's own retries are off (one attempt per request): transient
// failures come back wrapped with remote.ErrUnavailable for the caller's
// retry policy. Error strings carry the HTTP status and Azure error code,
// never a request URL (which may hold a SAS signature) or a key.
package azure
