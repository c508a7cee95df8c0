// Package local implements remote.Store over a directory, the "local tier"
// meant to sit on a LUKS volume.
//
// Key "a/b/c" is the file root/a/b/c; the directory marker "a/b/" is the
// directory root/a/b. Uploads are written to temporary files in
// root/.sealfs-tmp (a reserved top-level name) and renamed into place on
// Commit, after fdatasync; every directory whose entries changed is fsynced
// before Commit or Delete returns. Open pins a version by keeping the file
// descriptor of the inode it opened, so a later commit, which renames a new
// inode into place, never changes what an open handle reads.
//
// A version token names the inode, its modification time in nanoseconds
// (stamped by Commit from the wall clock, so a reused inode number never
// repeats a token) and the size. Several processes may share one directory:
// conditional and replacing writes serialize through byte-range locks on
// root/.sealfs-tmp/lock.
//
// The store is confined to its root. New opens the root once (refusing one
// that group or others can write to, or that another user owns: see
// ErrInsecureRoot) and every key is resolved beneath that descriptor
// without following any symbolic link: openat2 with RESOLVE_BENEATH and
// RESOLVE_NO_SYMLINKS, one syscall per lookup, or, on kernels without
// openat2, a walk of one openat(O_NOFOLLOW) per directory. Renames,
// mkdirs, unlinks, stats and listings then use the *at calls on the
// descriptor of the key's directory, so a symbolic link planted anywhere
// in the store (even swapped in during an operation) is never followed:
// the operation fails with ErrOutsideRoot, and listings skip the link.
package local
