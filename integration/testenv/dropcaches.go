package testenv

import (
	"os"

	"golang.org/x/sys/unix"
)

// dropCachesPath is the kernel's knob for dropping clean caches.
const dropCachesPath = "/proc/sys/vm/drop_caches"

// DropCaches writes dirty data back (sync) and then asks the kernel to drop
// its page, dentry and inode caches so that the next read comes from the
// backing store. Dropping needs root; DropCaches reports whether it worked
// and is otherwise harmless, so callers can note that reads were warm.
func DropCaches() bool {
	unix.Sync()
	if os.Geteuid() != 0 {
		return false
	}
	return os.WriteFile(dropCachesPath, []byte("3\n"), 0) == nil
}
