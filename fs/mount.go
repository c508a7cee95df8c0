package fs

import (
	"context"
	"fmt"
	"log"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// MountOptions are the kernel-facing settings of a mount.
type MountOptions struct {
	// AllowOther lets users other than the mounting one use the mount
	// (needs root or user_allow_other in /etc/fuse.conf).
	AllowOther bool
	// FsName is what mount tables show as the source (default "sealfs").
	FsName string
	// Debug logs every FUSE request.
	Debug bool
}

// Mount serves opts' store at mountpoint and returns the running server;
// call Unmount on it (or fusermount3 -u) to stop. The mount is always
// nosuid and nodev.
func Mount(mountpoint string, opts Options, mo MountOptions) (*fuse.Server, error) {
	fsys, err := newFilesystem(opts)
	if err != nil {
		return nil, err
	}
	fsys.clearStaging()
	if err := fsys.journal.load(opts.Keyring, opts.Volume); err != nil {
		return nil, err
	}
	if opts.WriteBack == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if err := fsys.replayJournal(ctx); err != nil {
			return nil, err
		}
	}
	if mo.FsName == "" {
		mo.FsName = "sealfs"
	}
	root := fsys.root
	timeout := fsys.opts.AttrTimeout
	negative := timeout
	server, err := gofs.Mount(mountpoint, root, &gofs.Options{
		EntryTimeout:    &timeout,
		AttrTimeout:     &timeout,
		NegativeTimeout: &negative,
		// Small inode numbers: the default starts at 2^63, which tools
		// that keep inode numbers in 63 or 32 bits get wrong.
		FirstAutomaticIno: 2,
		RootStableAttr:    &gofs.StableAttr{Ino: 1},
		UID:               opts.UID,
		GID:               opts.GID,
		MountOptions: fuse.MountOptions{
			AllowOther:    mo.AllowOther,
			FsName:        mo.FsName,
			Name:          "sealfs",
			Options:       []string{"nosuid", "nodev", "default_permissions"},
			MaxWrite:      1 << 20,
			MaxReadAhead:  1 << 20,
			DisableXAttrs: true,
			// Let the kernel gather small writes in its page cache and send
			// them as large WRITEs at writeback, fsync or close: Orthanc
			// writes 4 KiB at a time, and a FUSE round trip per 4 KiB
			// costs more than sealing it.
			ExtraCapabilities: fuse.CAP_WRITEBACK_CACHE,
			Debug:             mo.Debug,
			Logger:            log.New(slogWriter{fsys.log}, "", 0),
		},
	})
	if err != nil {
		return nil, fmt.Errorf("mounting at %s: %w", mountpoint, err)
	}
	fsys.mounted.Store(true)
	if opts.WriteBack != nil {
		// What an earlier mount left is uploaded while this one serves
		// (started once the inode tree exists: uploads update its nodes).
		opts.WriteBack.start(fsys, 4)
	}
	return server, nil
}

// DefaultAttrTimeout is how long the kernel caches attributes by default.
const DefaultAttrTimeout = time.Second
