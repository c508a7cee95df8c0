package s3

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"github.com/sealfs/sealfs/remote"
)

// partsInFlight is how many parts of one multipart upload are sent at once.
const partsInFlight = 4

// putMultipart sends the object as a multipart upload of partSize parts
// read from body, with cond on the completion. A failed upload is aborted.
func (s *Store) putMultipart(ctx context.Context, key string, body io.ReaderAt, size int64, cond remote.Condition) (remote.Info, error) {
	objectKey := aws.String(s.objectKey(key))
	in := &awss3.CreateMultipartUploadInput{
		Bucket:            &s.bucket,
		Key:               objectKey,
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
	}
	if s.storage != "" {
		in.StorageClass = types.StorageClass(s.storage)
	}
	actx, cancel := s.attempt(ctx, 0)
	created, err := s.client.CreateMultipartUpload(actx, in)
	cancel()
	if err != nil {
		return remote.Info{}, mapError(ctx, "commit", key, err)
	}
	uploadID := created.UploadId
	parts, err := s.uploadParts(ctx, key, uploadID, body, size)
	if err == nil {
		var info remote.Info
		info, err = s.complete(ctx, key, uploadID, parts, size, cond)
		if err == nil {
			return info, nil
		}
	}
	s.abortMultipart(ctx, key, uploadID)
	return remote.Info{}, err
}

// uploadParts sends body's bytes as parts of the multipart upload, a few
// at a time, and returns them in order for the completion.
func (s *Store) uploadParts(ctx context.Context, key string, uploadID *string, body io.ReaderAt, size int64) ([]types.CompletedPart, error) {
	count := (size + s.partSize - 1) / s.partSize
	parts := make([]types.CompletedPart, count)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(partsInFlight)
	for i := range count {
		g.Go(func() error {
			off := i * s.partSize
			n := min(s.partSize, size-off)
			number := aws.Int32(int32(i + 1))
			actx, cancel := s.attempt(gctx, n)
			defer cancel()
			out, err := s.client.UploadPart(actx, &awss3.UploadPartInput{
				Bucket:            &s.bucket,
				Key:               aws.String(s.objectKey(key)),
				UploadId:          uploadID,
				PartNumber:        number,
				Body:              io.NewSectionReader(body, off, n),
				ContentLength:     &n,
				ChecksumAlgorithm: types.ChecksumAlgorithmCrc32,
			})
			if err != nil {
				return mapError(ctx, fmt.Sprintf("commit part %d of", i+1), key, err)
			}
			parts[i] = types.CompletedPart{PartNumber: number, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return parts, nil
}

// complete completes the multipart upload subject to cond.
func (s *Store) complete(ctx context.Context, key string, uploadID *string, parts []types.CompletedPart, size int64, cond remote.Condition) (remote.Info, error) {
	// The server assembles the object while the request is open: allow
	// time in proportion to its size.
	actx, cancel := s.attempt(ctx, size/8)
	defer cancel()
	out, err := s.client.CompleteMultipartUpload(actx, &awss3.CompleteMultipartUploadInput{
		Bucket:          &s.bucket,
		Key:             aws.String(s.objectKey(key)),
		UploadId:        uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		IfNoneMatch:     ifNoneMatch(cond),
		IfMatch:         ifMatch(cond),
	})
	if err != nil {
		return remote.Info{}, mapError(ctx, "commit", key, err)
	}
	return committedInfo(key, size, out.ETag, out.ResultMetadata), nil
}

// abortMultipart discards the parts of a failed multipart upload, even if
// ctx is cancelled; a failure is only logged (a bucket lifecycle rule
// should clean up what is left).
func (s *Store) abortMultipart(ctx context.Context, key string, uploadID *string) {
	actx, cancel := s.attempt(context.WithoutCancel(ctx), 0)
	defer cancel()
	_, err := s.client.AbortMultipartUpload(actx, &awss3.AbortMultipartUploadInput{
		Bucket:   &s.bucket,
		Key:      aws.String(s.objectKey(key)),
		UploadId: uploadID,
	})
	var noUpload *types.NoSuchUpload
	if err != nil && !errors.As(err, &noUpload) {
		s.log.Warn("s3: abort multipart upload", "key", key, "err", err)
	}
}
