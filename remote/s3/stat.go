package s3

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sealfs/sealfs/remote"
)

// Stat returns key's Info from a HEAD request, or an error wrapping
// remote.ErrNotFound.
func (s *Store) Stat(ctx context.Context, key string) (remote.Info, error) {
	if _, err := s.begin(ctx, "stat", key); err != nil {
		return remote.Info{}, err
	}
	return s.head(ctx, "stat", key, "")
}

// head issues HEAD for key, conditional on ifMatch if it is not empty.
func (s *Store) head(ctx context.Context, op, key, ifMatch string) (remote.Info, error) {
	in := &awss3.HeadObjectInput{Bucket: &s.bucket, Key: aws.String(s.objectKey(key))}
	if ifMatch != "" {
		in.IfMatch = &ifMatch
	}
	actx, cancel := s.attempt(ctx, 0)
	defer cancel()
	out, err := s.client.HeadObject(actx, in)
	if err != nil {
		return remote.Info{}, mapError(ctx, op, key, err)
	}
	return remote.Info{
		Key:     key,
		Size:    aws.ToInt64(out.ContentLength),
		Version: aws.ToString(out.ETag),
		ModTime: aws.ToTime(out.LastModified),
	}, nil
}
