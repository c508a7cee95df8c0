package s3

import (
	"context"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/middleware"
)

// unsignedPayload is the SigV4 payload hash that leaves the body out of
// the signature.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// skipPayloadHash is a middleware that marks the request's body as
// unsigned before the SDK's checksum middleware runs, so that it computes
// only the CRC32 content checksum instead of a SHA-256 of the body as
// well. See Config.SignPayload for why that is sound.
type skipPayloadHash struct{}

// ID names the middleware in the stack.
func (skipPayloadHash) ID() string { return "sealfs:skipPayloadHash" }

// HandleFinalize sets the payload hash unless one is set already.
func (skipPayloadHash) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	if v4.GetPayloadHash(ctx) == "" {
		ctx = v4.SetPayloadHash(ctx, unsignedPayload)
	}
	return next.HandleFinalize(ctx, in)
}

// addSkipPayloadHash inserts skipPayloadHash right after endpoint
// resolution, ahead of the checksum and payload-hash middlewares.
func addSkipPayloadHash(stack *middleware.Stack) error {
	return stack.Finalize.Insert(skipPayloadHash{}, "ResolveEndpointV2", middleware.After)
}
