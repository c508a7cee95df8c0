package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// serverUnmountAttempts bounds how often UnmountServer asks an in-process
// server to unmount; each request already retries for about 300 ms.
const serverUnmountAttempts = 10

// Unmounter is an in-process FUSE server (go-fuse's *fuse.Server).
type Unmounter interface {
	Unmount() error
}

// UnmountServer unmounts the in-process server mounted at dir. The kernel
// refuses while it still counts a file under dir as open, which a file
// just closed can briefly be, so a busy mount is retried for a few
// seconds. When it stays busy, the error names every process holding a
// file or working directory under dir.
func UnmountServer(server Unmounter, dir string) error {
	var err error
	for attempt := 0; attempt < serverUnmountAttempts; attempt++ {
		if attempt > 0 {
			time.Sleep(unmountRetryDelay * 2)
		}
		if err = server.Unmount(); err == nil || !strings.Contains(err.Error(), "busy") {
			return err
		}
	}
	return fmt.Errorf("%w; holders under %s: %s", err, dir, strings.Join(Holders(dir), "; "))
}

// Holders lists, as "pid (command): path", the open files and working
// directories under dir of every process this one can inspect.
func Holders(dir string) []string {
	procs, _ := filepath.Glob("/proc/[0-9]*")
	var found []string
	for _, proc := range procs {
		links, _ := filepath.Glob(filepath.Join(proc, "fd", "*"))
		links = append(links, filepath.Join(proc, "cwd"), filepath.Join(proc, "root"))
		for _, link := range links {
			target, err := os.Readlink(link)
			if err != nil || (target != dir && !strings.HasPrefix(target, dir+"/")) {
				continue
			}
			comm, _ := os.ReadFile(filepath.Join(proc, "comm"))
			found = append(found, fmt.Sprintf("%s (%s): %s via %s",
				filepath.Base(proc), strings.TrimSpace(string(comm)), target, filepath.Base(link)))
		}
	}
	if len(found) == 0 {
		return []string{"none found (a file released by the kernel but not yet by the server, or a process in another PID namespace)"}
	}
	return found
}
