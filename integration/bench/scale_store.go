package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// Sizes of the -scale probes.
const (
	scaleProbeFiles = 200 // stats of existing files, and of missing names
	scaleProbeDirs  = 50  // listings of xx/yy directories
)

// errScaleProbe reports a probe that saw the store differ from what was
// written through the mount.
var errScaleProbe = errors.New("the mount disagrees with what was written")

// scaleStore remembers what -scale wrote: every name, and how many files
// each xx/yy directory holds.
type scaleStore struct {
	names []string       // xx/yy/uuid, in write order
	dirs  map[string]int // xx/yy → files in it
	rng   *rand.Rand     // picks the probes; seeded, so runs pick alike
}

// newScaleStore returns an empty store whose probes are drawn with seed.
func newScaleStore(seed uint64) *scaleStore {
	return &scaleStore{dirs: map[string]int{}, rng: rand.New(rand.NewPCG(seed, 0x5ca1e))}
}

// count returns the number of files written.
func (s *scaleStore) count() int {
	return len(s.names)
}

// add records names as written.
func (s *scaleStore) add(names []string) {
	for _, name := range names {
		s.names = append(s.names, name)
		s.dirs[filepath.Dir(name)]++
	}
}

// scaleProbe is one timed pass of -scale over the mount.
type scaleProbe struct {
	name string
	ops  int
	run  func(ctx context.Context, mountpoint string) error
}

// probes draws the three probes of one store size: stat of existing files,
// ls of xx/yy directories, stat of missing names in existing directories
// (what Orthanc does before it writes). The same probes run cold and warm.
func (s *scaleStore) probes() []scaleProbe {
	existing := make([]string, scaleProbeFiles)
	missing := make([]string, scaleProbeFiles)
	for i := range existing {
		existing[i] = s.names[s.rng.IntN(len(s.names))]
		dir := filepath.Dir(s.names[s.rng.IntN(len(s.names))])
		missing[i] = filepath.Join(dir, fmt.Sprintf("missing-%016x", s.rng.Uint64()))
	}
	all := sortedKeys(s.dirs)
	dirs := make([]string, min(scaleProbeDirs, len(all)))
	for i := range dirs {
		dirs[i] = all[s.rng.IntN(len(all))]
	}
	return []scaleProbe{
		{name: "stat existing", ops: len(existing), run: func(ctx context.Context, mnt string) error {
			return statAll(ctx, mnt, existing, true)
		}},
		{name: "ls xx/yy", ops: len(dirs), run: func(ctx context.Context, mnt string) error {
			return s.listAll(ctx, mnt, dirs)
		}},
		{name: "stat missing", ops: len(missing), run: func(ctx context.Context, mnt string) error {
			return statAll(ctx, mnt, missing, false)
		}},
	}
}

// statAll stats every name below mnt, one after the other, and checks that
// each exists as a scaleFileSize file, or (exist false) that none exists.
func statAll(ctx context.Context, mnt string, names []string, exist bool) error {
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		info, err := os.Stat(filepath.Join(mnt, name))
		switch {
		case !exist && errors.Is(err, fs.ErrNotExist):
		case !exist && err == nil:
			return fmt.Errorf("%w: %s exists", errScaleProbe, name)
		case err != nil:
			return fmt.Errorf("stat %s: %w", name, err)
		case info.Size() != scaleFileSize || !info.Mode().IsRegular():
			return fmt.Errorf("%w: %s is %v of %d bytes", errScaleProbe, name, info.Mode(), info.Size())
		}
	}
	return nil
}

// listAll lists every directory below mnt, one after the other, and checks
// that each holds as many files as were written there.
func (s *scaleStore) listAll(ctx context.Context, mnt string, dirs []string) error {
	for _, dir := range dirs {
		if err := ctx.Err(); err != nil {
			return err
		}
		entries, err := os.ReadDir(filepath.Join(mnt, dir))
		if err != nil {
			return fmt.Errorf("ls %s: %w", dir, err)
		}
		if len(entries) != s.dirs[dir] {
			return fmt.Errorf("%w: ls %s shows %d entries, %d were written", errScaleProbe, dir, len(entries), s.dirs[dir])
		}
	}
	return nil
}
