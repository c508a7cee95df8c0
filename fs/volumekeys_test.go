package fs_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	sealfs "github.com/sealfs/sealfs/fs"
	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/remote"
	"github.com/sealfs/sealfs/remote/local"
)

func testRing(t *testing.T, audit keyring.Auditor, keys ...*keyring.KEK) *keyring.Keyring {
	t.Helper()
	r, err := keyring.New(audit, keys...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func testKEK(t *testing.T, id uint32, state keyring.State, fill byte) *keyring.KEK {
	t.Helper()
	k, err := keyring.NewKEK(id, state, bytes.Repeat([]byte{fill}, 32), "test-key-"+string(rune('a'+fill%26)))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func readVolumeFile(t *testing.T, store remote.Store) string {
	t.Helper()
	obj, err := store.Open(context.Background(), sealfs.VolumeKey, "")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	data, err := io.ReadAll(io.NewSectionReader(obj, 0, obj.Info().Size))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func putVolumeFile(t *testing.T, store remote.Store, content string) {
	t.Helper()
	up, err := store.Create(context.Background(), sealfs.VolumeKey)
	if err != nil {
		t.Fatal(err)
	}
	up.Write([]byte(content))
	if _, err := up.Commit(context.Background(), remote.Condition{}); err != nil {
		t.Fatal(err)
	}
}

// The volume records the current key's check value at its first mount;
// the same id with another key is then refused with an error naming the
// id, and audited; decrypt-only keys are checked, never recorded.
func TestCheckVolumeKeys(t *testing.T) {
	ctx := context.Background()
	store, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	vol, err := sealfs.EnsureVolume(ctx, store, [16]byte{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	ring1 := testRing(t, nil, testKEK(t, 1, keyring.Current, 1), testKEK(t, 9, keyring.DecryptOnly, 9))
	if err := sealfs.CheckVolumeKeys(ctx, store, &vol, ring1); err != nil {
		t.Fatalf("first mount: %v", err)
	}
	kcv1, _ := ring1.KEKs()[0].CheckValue()
	file := readVolumeFile(t, store)
	if !strings.Contains(file, `"key_check_values":{"1":"`+hex.EncodeToString(kcv1[:])+`"}`) {
		t.Fatalf("volume file does not record exactly key 1: %s", file)
	}

	cases := []struct {
		name    string
		keys    []*keyring.KEK
		wantErr bool
		wantIDs []string // ids recorded afterwards
	}{
		{"same key", []*keyring.KEK{testKEK(t, 1, keyring.Current, 1)}, false, []string{"1"}},
		{"same key, decrypt-only, new current recorded", []*keyring.KEK{testKEK(t, 1, keyring.DecryptOnly, 1), testKEK(t, 2, keyring.Current, 2)}, false, []string{"1", "2"}},
		{"other key under id 1 (current)", []*keyring.KEK{testKEK(t, 1, keyring.Current, 7)}, true, []string{"1", "2"}},
		{"other key under id 2 (decrypt-only)", []*keyring.KEK{testKEK(t, 1, keyring.Current, 1), testKEK(t, 2, keyring.DecryptOnly, 3)}, true, []string{"1", "2"}},
		{"other key under id 1 (revoked)", []*keyring.KEK{testKEK(t, 1, keyring.Revoked, 5), testKEK(t, 2, keyring.Current, 2)}, true, []string{"1", "2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			events := &eventLog{}
			ring := testRing(t, events, c.keys...)
			v, err := sealfs.EnsureVolume(ctx, store, vol.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			err = sealfs.CheckVolumeKeys(ctx, store, &v, ring)
			switch {
			case c.wantErr && !errors.Is(err, sealfs.ErrKeyMismatch):
				t.Fatalf("err = %v, want ErrKeyMismatch", err)
			case c.wantErr && events.count(keyring.KeyCheckFailed) != 1:
				t.Errorf("key-check-failed audited %d times, want 1", events.count(keyring.KeyCheckFailed))
			case !c.wantErr && err != nil:
				t.Fatalf("err = %v", err)
			}
			if c.wantErr && !strings.Contains(err.Error(), "key id ") {
				t.Errorf("error does not name the key id: %v", err)
			}
			got := readVolumeFile(t, store)
			for _, id := range c.wantIDs {
				if !strings.Contains(got, `"`+id+`":"`) {
					t.Errorf("id %s not recorded: %s", id, got)
				}
			}
			if strings.Count(got, `":"`)-2 != len(c.wantIDs) { // format and volume_id are strings too
				t.Errorf("want %d ids recorded: %s", len(c.wantIDs), got)
			}
		})
	}
}

// A volume file written before key check values existed is read, and
// upgraded by the first mount.
func TestCheckVolumeKeysUpgradesOldFile(t *testing.T) {
	ctx := context.Background()
	store, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	old := `{"format":"sealfs/1","volume_id":"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf","chunk_size":4096}` + "\n"
	putVolumeFile(t, store, old)
	vol, err := sealfs.EnsureVolume(ctx, store, [16]byte{}, 0)
	if err != nil {
		t.Fatalf("old volume file: %v", err)
	}
	if vol.ChunkSize != 4096 || len(vol.KeyChecks) != 0 {
		t.Fatalf("old volume file read as %+v", vol)
	}
	if err := sealfs.CheckVolumeKeys(ctx, store, &vol, testRing(t, nil, testKEK(t, 4, keyring.Current, 4))); err != nil {
		t.Fatal(err)
	}
	got := readVolumeFile(t, store)
	if !strings.HasPrefix(got, `{"format":"sealfs/1","volume_id":"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf","chunk_size":4096,"key_check_values":{"4":"`) {
		t.Errorf("upgraded volume file: %s", got)
	}
	if err := sealfs.CheckVolumeKeys(ctx, store, &vol, testRing(t, nil, testKEK(t, 4, keyring.Current, 5))); !errors.Is(err, sealfs.ErrKeyMismatch) {
		t.Errorf("other key after the upgrade: %v", err)
	}
}

// A volume file changed by another mount between read and write is read
// again and merged, never overwritten.
func TestCheckVolumeKeysConcurrentUpdate(t *testing.T) {
	ctx := context.Background()
	store, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	volA, err := sealfs.EnsureVolume(ctx, store, [16]byte{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	volB := volA // both mounts read the file before either writes
	if err := sealfs.CheckVolumeKeys(ctx, store, &volA, testRing(t, nil, testKEK(t, 1, keyring.Current, 1))); err != nil {
		t.Fatal(err)
	}
	if err := sealfs.CheckVolumeKeys(ctx, store, &volB, testRing(t, nil, testKEK(t, 2, keyring.Current, 2))); err != nil {
		t.Fatal(err)
	}
	got := readVolumeFile(t, store)
	if !strings.Contains(got, `"1":"`) || !strings.Contains(got, `"2":"`) {
		t.Errorf("a concurrent update was lost: %s", got)
	}
	volC := volA // stale: does not know id 2
	if err := sealfs.CheckVolumeKeys(ctx, store, &volC, testRing(t, nil, testKEK(t, 2, keyring.Current, 3))); !errors.Is(err, sealfs.ErrKeyMismatch) {
		t.Errorf("wrong key 2 with a stale volume: %v", err)
	}
}
