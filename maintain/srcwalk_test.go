package maintain

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sealfs/sealfs/remote"
)

// dirLister gives keys in string order (the checkpoint's order), whatever
// the names around "/" sort like, and skips what is not after the
// checkpoint's key without reading whole subtrees that are done.
func TestDirListerOrder(t *testing.T) {
	src := t.TempDir()
	all := []string{"a-b", "a.b", "a/b", "a/c-d", "a/c/d", "a0", "b/x/y/z", "b/x0", "c"}
	for _, k := range all {
		p := filepath.Join(src, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.IsSorted(all) {
		t.Fatal("the test's keys are not in string order")
	}
	for _, tc := range []struct {
		name, after string
		want        []string
	}{
		{"everything", "", all},
		{"after a file", "a.b", all[2:]},
		{"after a nested file", "a/c-d", all[4:]},
		{"after a nested directory's file", "a/c/d", all[5:]},
		{"after a subtree", "a0", all[6:]},
		{"after a deep file", "b/x/y/z", all[7:]},
		{"after the last", "c", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			err := dirLister(src)(context.Background(), tc.after, func(e remote.Entry) error {
				if e.Key > tc.after {
					got = append(got, e.Key)
				}
				return nil
			})
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if err := dirLister(filepath.Join(src, "missing"))(context.Background(), "", func(remote.Entry) error { return nil }); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("a missing source directory listed")
	}
}
