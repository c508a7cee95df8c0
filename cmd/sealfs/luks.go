package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// deviceStatus says whether one directory sits on a dm-crypt/LUKS device.
type deviceStatus struct {
	Role   string `json:"role"`
	Path   string `json:"path"`
	Device string `json:"device,omitempty"` // MAJOR:MINOR
	LUKS   bool   `json:"luks"`
	Detail string `json:"detail"`
}

func (d deviceStatus) describe() string {
	if d.LUKS {
		return "on LUKS (" + d.Detail + ")"
	}
	return "NOT on LUKS (" + d.Detail + ")"
}

// deviceOf checks path's device against the real sysfs.
func deviceOf(role, path string) deviceStatus {
	return deviceStatusIn("/sys", role, path)
}

// deviceStatusIn finds the block device holding path and asks sysfs (under
// sysRoot) whether it is a dm-crypt LUKS mapping (its dm/uuid starts with
// CRYPT-LUKS), or a device-mapper device (LVM) all of whose underlying
// devices are.
func deviceStatusIn(sysRoot, role, path string) deviceStatus {
	d := deviceStatus{Role: role, Path: path}
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		d.Detail = "cannot stat: " + err.Error()
		return d
	}
	major, minor := unix.Major(uint64(st.Dev)), unix.Minor(uint64(st.Dev))
	d.Device = fmt.Sprintf("%d:%d", major, minor)
	if major == 0 {
		d.Detail = "not on a block device (tmpfs, overlay, btrfs subvolume, network or FUSE filesystem)"
		return d
	}
	d.LUKS, d.Detail = sysfsLUKS(sysRoot, major, minor)
	return d
}

// sysfsLUKS asks sysfs under sysRoot about block device major:minor.
func sysfsLUKS(sysRoot string, major, minor uint32) (bool, string) {
	return luksBelow(filepath.Join(sysRoot, "dev", "block", fmt.Sprintf("%d:%d", major, minor)), 0)
}

// luksBelow reports whether the sysfs block device dir is LUKS, directly
// or through device-mapper layers.
func luksBelow(dir string, depth int) (bool, string) {
	if depth > 8 {
		return false, "device-mapper stack too deep"
	}
	uuid, err := os.ReadFile(filepath.Join(dir, "dm", "uuid"))
	if err != nil {
		if os.IsNotExist(err) {
			return false, "plain block device " + devName(dir) + ", no dm-crypt"
		}
		return false, "cannot read device-mapper uuid: " + err.Error()
	}
	name := devName(dir)
	if n, err := os.ReadFile(filepath.Join(dir, "dm", "name")); err == nil {
		name = strings.TrimSpace(string(n))
	}
	if strings.HasPrefix(strings.TrimSpace(string(uuid)), "CRYPT-LUKS") {
		return true, "dm-crypt LUKS mapping " + name
	}
	slaves, err := os.ReadDir(filepath.Join(dir, "slaves"))
	if err != nil || len(slaves) == 0 {
		return false, "device-mapper device " + name + " is not dm-crypt LUKS"
	}
	for _, s := range slaves {
		ok, why := luksBelow(filepath.Join(dir, "slaves", s.Name()), depth+1)
		if !ok {
			return false, name + " → " + why
		}
	}
	return true, name + " on dm-crypt LUKS"
}

// devName is the kernel name of a sysfs block device dir (dm-0, sda1).
func devName(dir string) string {
	if target, err := filepath.EvalSymlinks(dir); err == nil {
		dir = target
	}
	return filepath.Base(dir)
}
