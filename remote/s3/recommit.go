package s3

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/sealfs/sealfs/remote"
)

// landedEarlier reports whether (and with which Info) the object now at key holds exactly the
// size bytes of body, by comparing its ETag with the one S3 computes for
// them (an MD5, or an MD5 of part MD5s for a multipart upload). Commit
// asks when a retry after a lost answer fails its condition: the earlier
// attempt may have committed. Ciphertext never repeats, so a match means
// the earlier attempt won. Empty objects (markers) are never claimed, nor
// objects whose ETag is not MD5-based (SSE-KMS): those keep the error.
func (s *Store) landedEarlier(ctx context.Context, key string, body io.ReaderAt, size int64) (remote.Info, bool) {
	if size == 0 {
		return remote.Info{}, false
	}
	info, err := s.head(ctx, "commit", key, "")
	if err != nil || info.Size != size {
		return remote.Info{}, false
	}
	want, err := s.expectedETag(body, size)
	if err != nil {
		s.log.Warn("s3: compute the ETag of an upload", "key", key, "err", err)
		return remote.Info{}, false
	}
	return info, strings.Trim(info.Version, `"`) == want
}

// expectedETag returns, unquoted, the ETag S3 gives the size bytes of body
// when this store commits them.
func (s *Store) expectedETag(body io.ReaderAt, size int64) (string, error) {
	if size <= s.singlePutMax {
		sum, err := md5Of(body, 0, size)
		return hex.EncodeToString(sum), err
	}
	var sums []byte
	count := 0
	for off := int64(0); off < size; off += s.partSize {
		sum, err := md5Of(body, off, min(s.partSize, size-off))
		if err != nil {
			return "", err
		}
		sums = append(sums, sum...)
		count++
	}
	total := md5.Sum(sums)
	return fmt.Sprintf("%s-%d", hex.EncodeToString(total[:]), count), nil
}

// md5Of returns the MD5 of n bytes of body at off.
func md5Of(body io.ReaderAt, off, n int64) ([]byte, error) {
	h := md5.New()
	if _, err := io.Copy(h, io.NewSectionReader(body, off, n)); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}
