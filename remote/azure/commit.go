package azure

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"golang.org/x/sync/errgroup"

	"github.com/sealfs/sealfs/remote"
)

const (
	// singlePutMax is the largest object sent with one Put Blob request.
	singlePutMax = 16 << 20
	// blockSize is the size of the blocks of a larger object.
	blockSize = 16 << 20
	// stageParallelism is the number of blocks sent at once.
	stageParallelism = 4
)

// commit sends size bytes of the spool file f to blob name (key's)
// subject to cond, with one Put Blob, or with Put Block requests and a
// Put Block List above singlePutMax. The service checks cond atomically
// with the write.
func (s *Store) commit(ctx context.Context, key, name string, f *os.File, size int64, cond remote.Condition) (remote.Info, error) {
	if cond.IfAbsent && cond.IfMatch != "" {
		return remote.Info{}, opError("commit", key, errContradictoryCondition)
	}
	if err := ctx.Err(); err != nil {
		return remote.Info{}, opError("commit", key, err)
	}
	client := s.blob(name)
	var info remote.Info
	if size <= s.singlePutMax {
		actx, cancel := context.WithTimeout(ctx, s.transferTimeout(size))
		defer cancel()
		resp, err := client.Upload(actx, section(f, 0, size), &blockblob.UploadOptions{
			Tier:             s.tier,
			AccessConditions: commitCondition(cond),
		})
		if err != nil {
			return remote.Info{}, commitError(ctx, key, cond, err)
		}
		info = newInfo(key, nil, resp.ETag, resp.LastModified)
	} else {
		ids, err := s.stageBlocks(ctx, key, client, f, size)
		if err != nil {
			return remote.Info{}, err
		}
		actx, cancel := context.WithTimeout(ctx, s.requestTimeout)
		defer cancel()
		resp, err := client.CommitBlockList(actx, ids, &blockblob.CommitBlockListOptions{
			Tier:             s.tier,
			AccessConditions: commitCondition(cond),
		})
		if err != nil {
			return remote.Info{}, commitError(ctx, key, cond, err)
		}
		info = newInfo(key, nil, resp.ETag, resp.LastModified)
	}
	info.Size = size
	return info, nil
}

// commitError maps a failed write: with IfMatch, a missing blob is a
// failed precondition.
func commitError(ctx context.Context, key string, cond remote.Condition, err error) error {
	err = mapError(ctx, "commit", key, err)
	if cond.IfMatch != "" && errors.Is(err, remote.ErrNotFound) {
		return kindError("commit", key, remote.ErrPreconditionFailed, errors.New("object does not exist"))
	}
	return err
}

// stageBlocks sends the spool file as uncommitted blocks of blockSize
// bytes, a few at a time, and returns their IDs in order. The IDs start
// with a random upload ID, so concurrent uploads to one blob never
// overwrite each other's blocks.
func (s *Store) stageBlocks(ctx context.Context, key string, client *blockblob.Client, f *os.File, size int64) ([]string, error) {
	var uploadID [16]byte
	rand.Read(uploadID[:])
	count := int((size + s.blockSize - 1) / s.blockSize)
	ids := make([]string, count)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(stageParallelism)
	for i := range count {
		ids[i] = blockID(uploadID, uint32(i))
		off := int64(i) * s.blockSize
		n := min(s.blockSize, size-off)
		g.Go(func() error {
			actx, cancel := context.WithTimeout(gctx, s.transferTimeout(n))
			defer cancel()
			if _, err := client.StageBlock(actx, ids[i], section(f, off, n), nil); err != nil {
				return mapError(ctx, "commit", key, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return ids, nil
}

// blockID returns the base64 ID of block index of an upload; all IDs of
// a blob have the same length, as the service requires.
func blockID(uploadID [16]byte, index uint32) string {
	raw := binary.BigEndian.AppendUint32(uploadID[:], index)
	return base64.StdEncoding.EncodeToString(raw)
}

// section returns the n bytes of f at off as a request body, read
// straight from the file (and re-read if the SDK rewinds it).
func section(f *os.File, off, n int64) io.ReadSeekCloser {
	return streaming.NopCloser(io.NewSectionReader(f, off, n))
}
