package s3

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sealfs/sealfs/remote"
)

// Delete removes key. A missing key is not an error, unless cond.IfMatch
// names a version. A directory marker is deleted only if no key lies
// below it.
//
// Neither condition is atomic on every server. IfMatch is checked with a
// HEAD before the DELETE, which also carries If-Match: AWS S3 evaluates it
// there, but MinIO ignores it, so against MinIO a replacement committed
// between the two requests is deleted. A key created below a marker
// between the emptiness check and the deletion is not noticed either.
func (s *Store) Delete(ctx context.Context, key string, cond remote.Condition) error {
	isMarker, err := s.begin(ctx, "delete", key)
	if err != nil {
		return err
	}
	if cond.IfAbsent {
		return opError("delete", key, errIfAbsentDelete)
	}
	if cond.IfMatch != "" {
		if err := s.checkVersion(ctx, key, cond.IfMatch); err != nil {
			return err
		}
	}
	if isMarker {
		if err := s.checkEmpty(ctx, key); err != nil {
			return err
		}
	}
	actx, cancel := s.attempt(ctx, 0)
	defer cancel()
	_, err = s.client.DeleteObject(actx, &awss3.DeleteObjectInput{
		Bucket:  &s.bucket,
		Key:     aws.String(s.objectKey(key)),
		IfMatch: ifMatch(cond),
	})
	err = mapError(ctx, "delete", key, err)
	if errors.Is(err, remote.ErrNotFound) {
		if cond.IfMatch != "" {
			return fmt.Errorf("s3: delete %q: object does not exist: %w", key, remote.ErrPreconditionFailed)
		}
		return nil
	}
	return err
}

// checkVersion fails with remote.ErrPreconditionFailed unless key exists
// with version want.
func (s *Store) checkVersion(ctx context.Context, key, want string) error {
	_, err := s.head(ctx, "delete", key, want)
	if errors.Is(err, remote.ErrNotFound) {
		return fmt.Errorf("s3: delete %q: object does not exist: %w", key, remote.ErrPreconditionFailed)
	}
	return err
}

// checkEmpty fails with remote.ErrNotEmpty if any key lies below the
// marker key.
func (s *Store) checkEmpty(ctx context.Context, key string) error {
	actx, cancel := s.attempt(ctx, 0)
	defer cancel()
	out, err := s.client.ListObjectsV2(actx, &awss3.ListObjectsV2Input{
		Bucket:  &s.bucket,
		Prefix:  aws.String(s.objectKey(key)),
		MaxKeys: aws.Int32(2),
	})
	if err != nil {
		return mapError(ctx, "delete", key, err)
	}
	for _, obj := range out.Contents {
		if aws.ToString(obj.Key) != s.objectKey(key) {
			return fmt.Errorf("s3: delete %q: %w", key, remote.ErrNotEmpty)
		}
	}
	return nil
}
