package local

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Filesystem magic numbers (statfs f_type) of the filesystems whose fsync
// the store relies on.
const (
	extMagic = 0xEF53 // ext4, and ext2/ext3 served by the ext4 driver
	xfsMagic = 0x58465342
)

// journalOrder says whether, on the filesystem holding dirFD, an fsync of a
// file also makes durable every directory change on its path made before
// it: the mkdir of its parents and its rename into place. Then a new
// object costs one fsync, as a file written in place by an application
// does, instead of one fsync plus one per changed directory.
//
// That holds for
//   - ext4 with a journal: jbd2 commits transactions in order, and the
//     rename dirties the renamed inode in its transaction (new ctime), so
//     the fsync commits the rename and the mkdirs before it; a fast commit
//     records every queued directory entry change too;
//   - ext4 without a journal: fsync writes the parent directory of an
//     inode just added to it, and that directory's parent while it is
//     new as well (ext4_sync_parent);
//   - XFS: one ordered log; the rename logs the renamed inode, and fsync
//     forces the log up to it.
//
// Anything else gets the portable rule: every changed directory is
// fsynced. reason says which case applied, for the mount's log.
func journalOrder(dirFD int) (ordered bool, reason string) {
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(dirFD, &sfs); err != nil {
		return false, fmt.Sprintf("statfs failed (%v): directories are fsynced", err)
	}
	switch uint32(sfs.Type) {
	case xfsMagic:
		return true, "xfs: the object's fsync forces the log past its directory changes"
	case extMagic:
		if ext4Journaled(dirFD) {
			return true, "ext4 with journal: the object's fsync commits its directory changes in order"
		}
		return true, "ext4 without journal: the object's fsync writes its new parent directories"
	}
	return false, fmt.Sprintf("filesystem type %#x: directories are fsynced", sfs.Type)
}

// ext4Journaled reports whether the ext4 filesystem holding dirFD has a
// journal, from its jbd2 task in sysfs ("<none>" without one). It is
// only reported in the log: both cases are ordered.
func ext4Journaled(dirFD int) bool {
	var st unix.Stat_t
	if err := unix.Fstat(dirFD, &st); err != nil {
		return true
	}
	uevent, err := os.ReadFile(fmt.Sprintf("/sys/dev/block/%d:%d/uevent", unix.Major(st.Dev), unix.Minor(st.Dev)))
	if err != nil {
		return true
	}
	for line := range strings.Lines(string(uevent)) {
		name, ok := strings.CutPrefix(strings.TrimSpace(line), "DEVNAME=")
		if !ok || name == "" || strings.ContainsAny(name, "./") {
			continue
		}
		task, err := os.ReadFile("/sys/fs/ext4/" + name + "/journal_task")
		return err != nil || strings.TrimSpace(string(task)) != "<none>"
	}
	return true
}
