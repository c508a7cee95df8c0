package fs

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/sealfs/sealfs/envelope"
	"github.com/sealfs/sealfs/keyring"
	"github.com/sealfs/sealfs/remote"
)

// VolumeKey is the object that describes a volume: its id and chunk size.
// It holds no secret. An attacker who can write the store can change it,
// which only makes every object fail verification (the id is part of each
// object's identity); pin the id in the config to refuse such a store at
// mount instead.
const VolumeKey = ".sealfs-volume"

// ErrVolumeMismatch means the store belongs to another volume than the pinned one.
var ErrVolumeMismatch = errors.New("store belongs to a different volume")

// Volume is what every mount of one store must agree on.
type Volume struct {
	// ID is part of every object's identity.
	ID [16]byte
	// ChunkSize is the plaintext chunk size of every object of the volume.
	ChunkSize int
	// KeyChecks holds the key check value (keyring.KEK.CheckValue) of
	// each KEK id recorded on the volume; see CheckVolumeKeys.
	KeyChecks map[uint32][keyring.CheckValueSize]byte
	// version is the store's version of the volume file read, for a
	// conditional update.
	version string
}

type volumeFile struct {
	Format    string `json:"format"`
	VolumeID  string `json:"volume_id"`
	ChunkSize int    `json:"chunk_size"`
	// KeyChecks maps decimal KEK ids to 32 hex digits of key check value.
	KeyChecks map[string]string `json:"key_check_values,omitempty"`
}

const volumeFormat = "sealfs/1"

// EnsureVolume reads the store's volume file, or creates it in an empty
// store. pinned, if not zero, is the id the store must have. chunkSize is
// used for a new volume (0 = the default).
func EnsureVolume(ctx context.Context, store remote.Store, pinned [16]byte, chunkSize int) (Volume, error) {
	for attempt := 0; attempt < 3; attempt++ {
		v, err := readVolume(ctx, store)
		if err == nil {
			if pinned != ([16]byte{}) && v.ID != pinned {
				return Volume{}, fmt.Errorf("%w: store has volume id %x, config pins %x", ErrVolumeMismatch, v.ID, pinned)
			}
			return v, nil
		}
		if !errors.Is(err, remote.ErrNotFound) {
			return Volume{}, err
		}
		v, err = createVolume(ctx, store, pinned, chunkSize)
		if !errors.Is(err, remote.ErrPreconditionFailed) {
			return v, err
		}
		// Another mount created it first: read theirs.
	}
	return Volume{}, errors.New("volume file keeps changing")
}

func readVolume(ctx context.Context, store remote.Store) (Volume, error) {
	obj, err := store.Open(ctx, VolumeKey, "")
	if err != nil {
		return Volume{}, err
	}
	defer obj.Close()
	if obj.Info().Size > 4096 {
		return Volume{}, fmt.Errorf("volume file %s: too large (%d bytes)", VolumeKey, obj.Info().Size)
	}
	data, err := io.ReadAll(io.NewSectionReader(obj, 0, obj.Info().Size))
	if err != nil {
		return Volume{}, fmt.Errorf("reading %s: %w", VolumeKey, err)
	}
	v, err := parseVolume(data)
	v.version = obj.Info().Version
	return v, err
}

func parseVolume(data []byte) (Volume, error) {
	var vf volumeFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&vf); err != nil {
		return Volume{}, fmt.Errorf("volume file %s: %w", VolumeKey, err)
	}
	if vf.Format != volumeFormat {
		return Volume{}, fmt.Errorf("volume file %s: unsupported format %q", VolumeKey, vf.Format)
	}
	id, err := ParseVolumeID(vf.VolumeID)
	if err != nil {
		return Volume{}, fmt.Errorf("volume file %s: %w", VolumeKey, err)
	}
	if vf.ChunkSize&(vf.ChunkSize-1) != 0 || vf.ChunkSize < envelope.MinChunkSize || vf.ChunkSize > envelope.MaxChunkSize {
		return Volume{}, fmt.Errorf("volume file %s: chunk size %d out of range", VolumeKey, vf.ChunkSize)
	}
	checks, err := parseKeyChecks(vf.KeyChecks)
	if err != nil {
		return Volume{}, fmt.Errorf("volume file %s: %w", VolumeKey, err)
	}
	return Volume{ID: id, ChunkSize: vf.ChunkSize, KeyChecks: checks}, nil
}

// marshal returns the volume file's bytes for v.
func (v Volume) marshal() []byte {
	vf := volumeFile{Format: volumeFormat, VolumeID: hex.EncodeToString(v.ID[:]), ChunkSize: v.ChunkSize}
	if len(v.KeyChecks) > 0 {
		vf.KeyChecks = make(map[string]string, len(v.KeyChecks))
		for id, kcv := range v.KeyChecks {
			vf.KeyChecks[strconv.FormatUint(uint64(id), 10)] = hex.EncodeToString(kcv[:])
		}
	}
	data, _ := json.Marshal(vf) // map keys are sorted: the output is canonical
	return append(data, '\n')
}

func createVolume(ctx context.Context, store remote.Store, id [16]byte, chunkSize int) (Volume, error) {
	if chunkSize == 0 {
		chunkSize = envelope.DefaultChunkSize
	}
	if id == ([16]byte{}) {
		empty, err := storeEmpty(ctx, store)
		if err != nil {
			return Volume{}, err
		}
		if !empty {
			return Volume{}, fmt.Errorf("the store holds objects but no %s: pass the volume id it was created with (--volume-id)", VolumeKey)
		}
		rand.Read(id[:])
	}
	v := Volume{ID: id, ChunkSize: chunkSize}
	info, err := writeVolume(ctx, store, v, remote.Condition{IfAbsent: true})
	if err != nil {
		return Volume{}, err
	}
	v.version = info.Version
	return v, nil
}

// writeVolume writes v's volume file under cond.
func writeVolume(ctx context.Context, store remote.Store, v Volume, cond remote.Condition) (remote.Info, error) {
	up, err := store.Create(ctx, VolumeKey)
	if err != nil {
		return remote.Info{}, err
	}
	if _, err := up.Write(v.marshal()); err != nil {
		up.Abort()
		return remote.Info{}, err
	}
	return up.Commit(ctx, cond)
}

func storeEmpty(ctx context.Context, store remote.Store) (bool, error) {
	empty := true
	err := store.List(ctx, "", false, func(e remote.Entry) error {
		if reserved("", e.Key) {
			return nil
		}
		empty = false
		return errStopListing
	})
	if err != nil && !errors.Is(err, errStopListing) {
		return false, err
	}
	return empty, nil
}

// ParseVolumeID reads a volume id written as 32 hex digits.
func ParseVolumeID(s string) ([16]byte, error) {
	var id [16]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 16 {
		return id, fmt.Errorf("volume id %q: want 32 hex digits", s)
	}
	copy(id[:], b)
	return id, nil
}
