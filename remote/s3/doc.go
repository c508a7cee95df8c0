// Package s3 implements remote.Store over an S3 bucket (AWS S3, MinIO and
// other S3-compatible servers), with aws-sdk-go-v2.
//
// Key k is the object Prefix+k; a directory marker "a/b/" is an empty
// object of that name. Versions are ETags: Open pins reads with If-Match,
// and conditional commits use If-None-Match: * (IfAbsent) and If-Match
// (IfMatch), evaluated by the server. An upload is staged in an unlinked
// file under Config.SpoolDir. Up to 16 MiB it is sent on Commit in one
// PutObject. Past 16 MiB it becomes a multipart upload whose full parts
// are sent in the background while it is still written; Commit sends the
// rest and completes it (the condition then goes on
// CompleteMultipartUpload). Nothing is ever held whole in memory: parts
// are read back from the spool file as they are sent. Bodies go as
// UNSIGNED-PAYLOAD with a CRC32 checksum unless Config.SignPayload is set.
//
// The SDK's own retries are disabled (one attempt per request): failures
// worth retrying are wrapped with remote.ErrUnavailable for the caller's
// retry policy.
//
// An S3 ETag is derived from the content (the MD5 of a single-part object),
// so writing identical bytes again yields the same Version. sealfs never
// writes identical ciphertext twice (every write uses fresh keys and
// nonces), so for its objects the Version changes on every write.
package s3
