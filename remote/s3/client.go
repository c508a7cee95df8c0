package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sealfs/sealfs/remote"
)

// maxIdleConnsPerHost keeps enough connections for concurrent uploads
// (the SDK's default is 10).
const maxIdleConnsPerHost = 64

// newClient builds the S3 client for cfg: one attempt per request (the
// caller retries), static credentials if given, the private CA if any.
func newClient(ctx context.Context, cfg Config) (*awss3.Client, error) {
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConnsPerHost = maxIdleConnsPerHost
	})
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(cfg.Region),
		config.WithHTTPClient(httpClient),
		config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
	}
	if cfg.AccessKey != "" || cfg.SecretKey != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, "")))
	}
	if cfg.CABundle != "" {
		pem, err := os.ReadFile(cfg.CABundle)
		if err != nil {
			return nil, fmt.Errorf("s3: CA bundle: %w", err)
		}
		opts = append(opts, config.WithCustomCABundle(bytes.NewReader(pem)))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3: load AWS configuration: %w", err)
	}
	return awss3.NewFromConfig(awsCfg, func(o *awss3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
		o.RetryMaxAttempts = 1
		// Reads are ranged and the layer above authenticates every byte:
		// checksums of whole objects cannot be checked on a range anyway.
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		if !cfg.SignPayload {
			o.APIOptions = append(o.APIOptions, addSkipPayloadHash)
		}
	}), nil
}

// checkBucket fails unless the bucket exists and is reachable, creating
// it first if create is set.
func (s *Store) checkBucket(ctx context.Context, region string, create bool) error {
	actx, cancel := s.attempt(ctx, 0)
	defer cancel()
	_, err := s.client.HeadBucket(actx, &awss3.HeadBucketInput{Bucket: &s.bucket})
	if err == nil {
		return nil
	}
	cause := classify(err)
	missing := errors.Is(cause, errNoSuchBucket) || errors.Is(cause, remote.ErrNotFound)
	if !missing || !create {
		if missing {
			err = errNoSuchBucket
		}
		return mapError(ctx, "check bucket", s.bucket, err)
	}
	cctx, cancel := s.attempt(ctx, 0)
	defer cancel()
	in := &awss3.CreateBucketInput{Bucket: &s.bucket}
	if region != defaultRegion {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(region),
		}
	}
	_, err = s.client.CreateBucket(cctx, in)
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return mapError(ctx, "create bucket", s.bucket, err)
	}
	return nil
}
