package maintain

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// checkpointFormat names the checkpoint file's layout.
const checkpointFormat = "sealfs-maintain/1"

// checkpoint is what a run keeps on disk: the last key done in List order
// and the report up to it. Op, Volume and Params must match for a run to
// resume from it; otherwise it starts over.
type checkpoint struct {
	Format string `json:"format"`
	Op     string `json:"op"`
	Volume string `json:"volume"`
	Params string `json:"params"`
	After  string `json:"after"`
	Report Report `json:"report"`
}

// loadCheckpoint reads the checkpoint at path. A missing file is no
// checkpoint (ok false, no error).
func loadCheckpoint(path string) (cp checkpoint, ok bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return checkpoint{}, false, nil
	}
	if err != nil {
		return checkpoint{}, false, fmt.Errorf("%w: %s: %w", ErrBadCheckpoint, path, err)
	}
	if err := json.Unmarshal(data, &cp); err != nil {
		return checkpoint{}, false, fmt.Errorf("%w: %s: %w", ErrBadCheckpoint, path, err)
	}
	if cp.Format != checkpointFormat {
		return checkpoint{}, false, fmt.Errorf("%w: %s: format %q, want %q", ErrBadCheckpoint, path, cp.Format, checkpointFormat)
	}
	return cp, true, nil
}

// matches reports whether cp belongs to a run of op with these params on
// this volume.
func (cp checkpoint) matches(op, volume, params string) bool {
	return cp.Op == op && cp.Volume == volume && cp.Params == params
}

// saveCheckpoint writes cp to path atomically and durably: a temporary
// file in the same directory, fsynced, renamed over path, and the
// directory fsynced.
func saveCheckpoint(path string, cp checkpoint) error {
	cp.Format = checkpointFormat
	data, err := json.Marshal(cp)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// removeCheckpoint deletes the checkpoint of a finished run.
func removeCheckpoint(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}
