// Package azure implements remote.Store over an Azure Blob Storage
// container, with block blobs.
//
// Key "a/b/c" is the blob Prefix+"a/b/c"; a directory marker "a/b/" is an
// empty blob whose name ends in "/". An object's version is its ETag.
// Uploads are staged in a spool file on local disk and sent on Commit: a
// single Put Blob up to 16 MiB, otherwise 16 MiB blocks (Put Block) and one
// Put Block List. Both carry the commit's condition as If-None-Match: * or
// If-Match, so the service decides it atomically. Reads are ranged GETs
// with If-Match on the ETag seen at Open, so a replaced blob fails the read
// with remote.ErrPreconditionFailed instead of mixing versions.
//
// The SDK's own retries are off (one attempt per request): transient
// failures come back wrapped with remote.ErrUnavailable for the caller's
// retry policy. Error strings carry the HTTP status and Azure error code,
// never a request URL (which may hold a SAS signature) or a key.
package azure
