package s3

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sealfs/sealfs/remote"
)

// putObject sends the object in one request.
func (s *Store) putObject(ctx context.Context, key string, body io.ReaderAt, size int64, cond remote.Condition) (remote.Info, error) {
	var reader io.ReadSeeker = strings.NewReader("")
	if size > 0 {
		reader = io.NewSectionReader(body, 0, size)
	}
	in := &awss3.PutObjectInput{
		Bucket:        &s.bucket,
		Key:           aws.String(s.objectKey(key)),
		Body:          reader,
		ContentLength: &size,
		IfNoneMatch:   ifNoneMatch(cond),
		IfMatch:       ifMatch(cond),
	}
	if s.storage != "" {
		in.StorageClass = types.StorageClass(s.storage)
	}
	actx, cancel := s.attempt(ctx, size)
	defer cancel()
	out, err := s.client.PutObject(actx, in)
	if err != nil {
		return remote.Info{}, mapError(ctx, "commit", key, err)
	}
	return committedInfo(key, size, out.ETag, out.ResultMetadata), nil
}

// ifNoneMatch returns the If-None-Match header value for cond.
func ifNoneMatch(cond remote.Condition) *string {
	if cond.IfAbsent {
		return aws.String("*")
	}
	return nil
}

// ifMatch returns the If-Match header value for cond.
func ifMatch(cond remote.Condition) *string {
	if cond.IfMatch != "" {
		return aws.String(cond.IfMatch)
	}
	return nil
}

// committedInfo builds the Info of a committed object from the write's
// answer; its time is the answer's Date, as close as the write request
// gets to the object's Last-Modified without another request.
func committedInfo(key string, size int64, etag *string, meta middleware.Metadata) remote.Info {
	modTime := time.Now()
	if resp, ok := awsmiddleware.GetRawResponse(meta).(*smithyhttp.Response); ok {
		if t, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
			modTime = t
		}
	}
	return remote.Info{Key: key, Size: size, Version: aws.ToString(etag), ModTime: modTime}
}
