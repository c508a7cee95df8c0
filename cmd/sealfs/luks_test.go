package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// A fake sysfs tree: LUKS mappings, LVM on LUKS, LVM on a plain disk,
// plain dm-crypt and a partition.
func TestLUKSFakeSysfs(t *testing.T) {
	write := func(p, s string) {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		build  func(dev string)
		luks   bool
		detail string
	}{
		{"luks", func(dev string) {
			write(filepath.Join(dev, "dm", "uuid"), "CRYPT-LUKS2-0123456789abcdef-store\n")
			write(filepath.Join(dev, "dm", "name"), "store\n")
		}, true, "dm-crypt LUKS mapping store"},
		{"lvm on luks", func(dev string) {
			write(filepath.Join(dev, "dm", "uuid"), "LVM-abc\n")
			write(filepath.Join(dev, "dm", "name"), "vg-data\n")
			write(filepath.Join(dev, "slaves", "dm-0", "dm", "uuid"), "CRYPT-LUKS2-x-pv\n")
		}, true, "vg-data on dm-crypt LUKS"},
		{"lvm on plain disk", func(dev string) {
			write(filepath.Join(dev, "dm", "uuid"), "LVM-abc\n")
			write(filepath.Join(dev, "dm", "name"), "vg-data\n")
			os.MkdirAll(filepath.Join(dev, "slaves", "sda2"), 0o755)
		}, false, "plain block device sda2"},
		{"plain crypt (not LUKS)", func(dev string) {
			write(filepath.Join(dev, "dm", "uuid"), "CRYPT-PLAIN-x\n")
		}, false, "is not dm-crypt LUKS"},
		{"partition", func(dev string) { os.MkdirAll(dev, 0o755) }, false, "no dm-crypt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys := t.TempDir()
			tt.build(filepath.Join(sys, "dev", "block", "253:3"))
			luks, detail := sysfsLUKS(sys, 253, 3)
			if luks != tt.luks || !strings.Contains(detail, tt.detail) {
				t.Errorf("got %v %q, want luks=%v and detail containing %q", luks, detail, tt.luks, tt.detail)
			}
		})
	}
}

// The real device of a temp dir is reported with its number.
func TestDeviceOfRealPath(t *testing.T) {
	dir := t.TempDir()
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		t.Fatal(err)
	}
	d := deviceStatusIn(t.TempDir(), "state", dir)
	if want := fmt.Sprintf("%d:%d", unix.Major(uint64(st.Dev)), unix.Minor(uint64(st.Dev))); d.Device != want || d.LUKS || d.Detail == "" {
		t.Errorf("got %+v, want device %s, not LUKS, with a reason", d, want)
	}
	if d := deviceStatusIn(t.TempDir(), "state", filepath.Join(dir, "missing")); d.LUKS || !strings.Contains(d.Detail, "cannot stat") {
		t.Errorf("missing path: %+v", d)
	}
}

func TestSealfsMounted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mountinfo")
	os.WriteFile(path, []byte(`22 1 0:21 / /proc rw,nosuid - proc proc rw
95 29 0:48 / /srv/orthanc/storage rw,nosuid,nodev shared:1 - fuse.sealfs sealfs:/srv/sealfs-store rw,user_id=0
96 29 0:49 / /mnt/with\040space rw - fuse.sealfs sealfs:s3://b/p rw
97 29 8:1 / /srv/other rw - ext4 /dev/sda1 rw
`), 0o644)
	for mp, want := range map[string]bool{"/srv/orthanc/storage": true, "/mnt/with space": true, "/srv/other": false, "/proc": false, "/nowhere": false} {
		if got := sealfsMounted(path, mp); got != want {
			t.Errorf("%s: %v, want %v", mp, got, want)
		}
	}
}
