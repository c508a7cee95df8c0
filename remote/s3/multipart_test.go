package s3

import (
	"bytes"
	"errors"
	"testing"

	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sealfs/sealfs/remote"
)

// minPartSize is S3's smallest part size (all parts but the last).
const minPartSize = 5 << 20

// TestMultipartConditions checks that conditions hold for objects sent
// as multipart uploads (here with S3's smallest parts, to stay fast) and
// that refused uploads leave no parts behind.
func TestMultipartConditions(t *testing.T) {
	m := startMinIO(t)
	s := newTestStore(t, m)
	defer s.Close()
	s.singlePutMax, s.partSize = minPartSize, minPartSize
	first := bytes.Repeat([]byte{1}, 2*minPartSize+17)
	second := bytes.Repeat([]byte{2}, minPartSize+1)
	third := bytes.Repeat([]byte{3}, minPartSize+2)

	v1, err := put(t, s, "mp/obj", first, remote.Condition{IfAbsent: true})
	if err != nil {
		t.Fatalf("multipart IfAbsent on a new key: %v", err)
	}
	steps := []struct {
		name    string
		data    []byte
		cond    remote.Condition
		wantErr error
		want    []byte // content afterwards
	}{
		{"IfAbsent on an existing key", second, remote.Condition{IfAbsent: true}, remote.ErrPreconditionFailed, first},
		{"IfMatch with the current version", second, remote.Condition{IfMatch: v1.Version}, nil, second},
		{"IfMatch with a stale version", third, remote.Condition{IfMatch: v1.Version}, remote.ErrPreconditionFailed, second},
		{"unconditional", third, remote.Condition{}, nil, third},
	}
	for _, step := range steps {
		info, err := put(t, s, "mp/obj", step.data, step.cond)
		if !errors.Is(err, step.wantErr) || (step.wantErr == nil) != (err == nil) {
			t.Fatalf("%s: got %v, want %v", step.name, err, step.wantErr)
		}
		if err == nil && (info.Size != int64(len(step.data)) || info.Version == "" || info.Version == v1.Version) {
			t.Fatalf("%s: Info %+v", step.name, info)
		}
		if got := mustRead(t, s, "mp/obj"); !bytes.Equal(got, step.want) {
			t.Fatalf("%s: content afterwards is wrong (%d bytes)", step.name, len(got))
		}
	}
	if _, err := put(t, s, "mp/missing", first, remote.Condition{IfMatch: v1.Version}); !errors.Is(err, remote.ErrPreconditionFailed) {
		t.Fatalf("multipart IfMatch on a missing key: got %v, want ErrPreconditionFailed", err)
	}
	out, err := s.client.ListMultipartUploads(t.Context(), &awss3.ListMultipartUploadsInput{Bucket: &s.bucket})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	if len(out.Uploads) != 0 {
		t.Fatalf("%d multipart uploads left behind", len(out.Uploads))
	}
}
