package azure

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
)

// newContainerClient builds the SDK client of cfg's container, with the
// SDK's retries off: one attempt per request.
func newContainerClient(cfg Config) (*container.Client, error) {
	opts := &container.ClientOptions{ClientOptions: azcore.ClientOptions{
		Retry:     policy.RetryOptions{MaxRetries: -1}, // below zero: one try, no retry
		Telemetry: policy.TelemetryOptions{Disabled: true},
		Transport: cfg.transport,
	}}
	var client *container.Client
	var err error
	switch {
	case cfg.ConnectionString != "":
		cs := cfg.ConnectionString
		if cfg.Endpoint != "" {
			// The SDK's parser keeps the last value of a repeated field.
			cs = strings.TrimRight(cs, ";") + ";BlobEndpoint=" + cfg.Endpoint
		}
		client, err = container.NewClientFromConnectionString(cs, cfg.Container, opts)
	case cfg.AccountKey != "":
		var cred *container.SharedKeyCredential
		cred, err = container.NewSharedKeyCredential(cfg.AccountName, cfg.AccountKey)
		if err == nil {
			client, err = container.NewClientWithSharedKeyCredential(containerURL(cfg), cred, opts)
		}
	default:
		client, err = container.NewClientWithNoCredential(containerURL(cfg)+"?"+strings.TrimPrefix(cfg.SASToken, "?"), opts)
	}
	if err != nil {
		// The SDK's messages name no secret, but keep ours generic anyway.
		return nil, fmt.Errorf("%w: cannot build the Azure client for container %q (check the credentials and endpoint): %w",
			errConfig, cfg.Container, redact(err))
	}
	return client, nil
}

// containerURL returns the URL of cfg's container, without credentials.
func containerURL(cfg Config) string {
	endpoint := cfg.Endpoint
	if endpoint == "" {
		endpoint = "https://" + cfg.AccountName + ".blob.core.windows.net/"
	}
	return strings.TrimRight(endpoint, "/") + "/" + url.PathEscape(cfg.Container)
}
