package azure

import (
	"context"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"

	"github.com/sealfs/sealfs/remote"
)

// Stat returns key's Info from one HEAD request (Get Blob Properties).
func (s *Store) Stat(ctx context.Context, key string) (remote.Info, error) {
	name, _, err := s.begin(ctx, "stat", key)
	if err != nil {
		return remote.Info{}, err
	}
	return s.properties(ctx, "stat", key, name, "")
}

// properties HEADs blob name (key's), requiring version ifMatch if not
// empty.
func (s *Store) properties(ctx context.Context, op, key, name, ifMatch string) (remote.Info, error) {
	actx, cancel := context.WithTimeout(ctx, s.requestTimeout)
	defer cancel()
	resp, err := s.blob(name).GetProperties(actx, &blob.GetPropertiesOptions{AccessConditions: ifMatchCondition(ifMatch)})
	if err != nil {
		return remote.Info{}, mapError(ctx, op, key, err)
	}
	return newInfo(key, resp.ContentLength, resp.ETag, resp.LastModified), nil
}

// newInfo builds an Info from a response's optional fields.
func newInfo(key string, size *int64, etag *azcore.ETag, modified *time.Time) remote.Info {
	info := remote.Info{Key: key}
	if size != nil {
		info.Size = *size
	}
	if etag != nil {
		info.Version = string(*etag)
	}
	if modified != nil {
		info.ModTime = *modified
	}
	return info
}

// ifMatchCondition returns the access condition "If-Match: version", or
// nil for an empty version.
func ifMatchCondition(version string) *blob.AccessConditions {
	if version == "" {
		return nil
	}
	etag := azcore.ETag(version)
	return &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: &etag}}
}

// commitCondition returns the access condition of a write under cond.
func commitCondition(cond remote.Condition) *blob.AccessConditions {
	if cond.IfAbsent {
		anyTag := azcore.ETagAny
		return &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfNoneMatch: &anyTag}}
	}
	return ifMatchCondition(cond.IfMatch)
}
