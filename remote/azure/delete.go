package azure

import (
	"context"
	"errors"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/sealfs/sealfs/remote"
)

// Delete removes key's blob (Delete Blob, with If-Match for
// cond.IfMatch). A missing key is not an error unless cond.IfMatch names
// a version. A directory marker is deleted only if no key lies below it;
// that check and the delete are two requests, so a key committed below
// in between is not seen.
func (s *Store) Delete(ctx context.Context, key string, cond remote.Condition) error {
	name, isMarker, err := s.begin(ctx, "delete", key)
	if err != nil {
		return err
	}
	if cond.IfAbsent {
		return opError("delete", key, errIfAbsentDelete)
	}
	if isMarker {
		if err := s.checkEmpty(ctx, key, name); err != nil {
			return err
		}
	}
	actx, cancel := context.WithTimeout(ctx, s.requestTimeout)
	defer cancel()
	_, err = s.blob(name).Delete(actx, &blob.DeleteOptions{AccessConditions: ifMatchCondition(cond.IfMatch)})
	if err == nil {
		return nil
	}
	err = mapError(ctx, "delete", key, err)
	if errors.Is(err, remote.ErrNotFound) {
		if cond.IfMatch != "" {
			return kindError("delete", key, remote.ErrPreconditionFailed, errors.New("object does not exist"))
		}
		return nil
	}
	return err
}

// checkEmpty fails with remote.ErrNotEmpty if any blob other than the
// marker name (key's) starts with name.
func (s *Store) checkEmpty(ctx context.Context, key, name string) error {
	maxResults := int32(2) // the marker itself and one more
	pager := s.container.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Prefix: &name, MaxResults: &maxResults})
	actx, cancel := context.WithTimeout(ctx, s.requestTimeout)
	defer cancel()
	page, err := pager.NextPage(actx)
	if err != nil {
		return mapError(ctx, "delete", key, err)
	}
	for _, item := range page.Segment.BlobItems {
		if item.Name != nil && *item.Name != name {
			return fmt.Errorf("azure: delete %q: %w", key, remote.ErrNotEmpty)
		}
	}
	return nil
}
