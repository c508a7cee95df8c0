package s3

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sealfs/sealfs/remote"
)

// createMultipart starts a multipart upload to key and returns its id.
func (s *Store) createMultipart(ctx context.Context, key string) (*string, error) {
	in := &awss3.CreateMultipartUploadInput{
		Bucket:            &s.bucket,
		Key:               aws.String(s.objectKey(key)),
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
	}
	if s.storage != "" {
		in.StorageClass = types.StorageClass(s.storage)
	}
	actx, cancel := s.attempt(ctx, 0)
	defer cancel()
	created, err := s.client.CreateMultipartUpload(actx, in)
	if err != nil {
		return nil, mapError(ctx, "commit", key, err)
	}
	return created.UploadId, nil
}

// uploadPart sends the n bytes of body at off as part number (from 1) of
// the multipart upload id, and returns what its completion needs.
func (s *Store) uploadPart(ctx context.Context, key string, id *string, number int32, body io.ReaderAt, off, n int64) (types.CompletedPart, error) {
	actx, cancel := s.attempt(ctx, n)
	defer cancel()
	out, err := s.client.UploadPart(actx, &awss3.UploadPartInput{
		Bucket:            &s.bucket,
		Key:               aws.String(s.objectKey(key)),
		UploadId:          id,
		PartNumber:        &number,
		Body:              io.NewSectionReader(body, off, n),
		ContentLength:     &n,
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
	})
	if err != nil {
		return types.CompletedPart{}, mapError(ctx, fmt.Sprintf("commit part %d of", number), key, err)
	}
	return types.CompletedPart{PartNumber: &number, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32}, nil
}

// complete completes the multipart upload subject to cond.
func (s *Store) complete(ctx context.Context, key string, id *string, parts []types.CompletedPart, size int64, cond remote.Condition) (remote.Info, error) {
	// The server assembles the object while the request is open: allow
	// time in proportion to its size.
	actx, cancel := s.attempt(ctx, size/8)
	defer cancel()
	out, err := s.client.CompleteMultipartUpload(actx, &awss3.CompleteMultipartUploadInput{
		Bucket:          &s.bucket,
		Key:             aws.String(s.objectKey(key)),
		UploadId:        id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		IfNoneMatch:     ifNoneMatch(cond),
		IfMatch:         ifMatch(cond),
	})
	if err != nil {
		return remote.Info{}, mapError(ctx, "commit", key, err)
	}
	return committedInfo(key, size, out.ETag, out.ResultMetadata), nil
}

// abortMultipart discards the parts of a multipart upload, even if ctx is
// cancelled; a failure is only logged (a bucket lifecycle rule aborting
// incomplete multipart uploads cleans up what is left).
func (s *Store) abortMultipart(ctx context.Context, key string, id *string) {
	actx, cancel := s.attempt(context.WithoutCancel(ctx), 0)
	defer cancel()
	_, err := s.client.AbortMultipartUpload(actx, &awss3.AbortMultipartUploadInput{
		Bucket:   &s.bucket,
		Key:      aws.String(s.objectKey(key)),
		UploadId: id,
	})
	var noUpload *types.NoSuchUpload
	if err != nil && !errors.As(err, &noUpload) {
		s.log.Warn("s3: abort multipart upload", "key", key, "err", err)
	}
}
