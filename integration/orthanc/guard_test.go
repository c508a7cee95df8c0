package orthanc

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sealfs/sealfs/integration/dicom"
	"github.com/sealfs/sealfs/integration/testenv"
)

// immutableFlag is FS_IMMUTABLE_FL (chattr +i).
const immutableFlag = 0x10

// A guarded mount point takes no file from root nor from another user while
// sealfs is not mounted; sealfs mounts over it and is writable; after the
// unmount it is guarded again, and Orthanc cannot store into it.
func TestGuardedMountPoint(t *testing.T) {
	requireTools(t)
	testenv.Require(t, "root", os.Geteuid() == 0, "the immutable attribute needs CAP_LINUX_IMMUTABLE")
	setpriv, err := exec.LookPath("setpriv")
	testenv.Require(t, "setpriv (util-linux)", err == nil, "runs a command as uid 65534")
	ctx := testContext(t)
	dirs := mkdirs(t, "keys", "store", "state", "work", "parent")
	// uid 65534 must reach the mount point, so that only the guard stops it.
	for dir := dirs["parent"]; dir != os.TempDir(); dir = filepath.Dir(dir) {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mnt := filepath.Join(dirs["parent"], "storage")
	if err := os.Mkdir(mnt, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(mnt, 0o777); err != nil { // past the umask
		t.Fatal(err)
	}
	asNobody := func(args ...string) (string, error) {
		cmd := exec.Command(setpriv, append([]string{"--reuid=65534", "--regid=65534", "--clear-groups"}, args...)...)
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	// Before the guard, uid 65534 can write there: the test can fail.
	probe := filepath.Join(mnt, "probe")
	if out, err := asNobody("touch", probe); err != nil {
		t.Fatalf("uid 65534 cannot write into the unguarded directory: %v %s", err, out)
	}
	if err := os.Remove(probe); err != nil {
		t.Fatal(err)
	}
	bin := testenv.SealfsBinary(t)
	sealfs := func(args ...string) (string, error) {
		out, err := exec.Command(bin, args...).CombinedOutput()
		return string(out), err
	}
	if out, err := sealfs("guard", mnt); err != nil {
		t.Fatalf("sealfs guard: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := sealfs("guard", "--undo", mnt); err != nil {
			t.Errorf("sealfs guard --undo: %v\n%s", err, out)
		}
	})
	assertGuarded := func(when string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(mnt, "root-file"), []byte("x"), 0o644); err == nil {
			t.Errorf("%s: root created a file in the guarded mount point", when)
		}
		if err := os.Mkdir(filepath.Join(mnt, "00"), 0o755); err == nil {
			t.Errorf("%s: root created a directory in the guarded mount point", when)
		}
		out, err := asNobody("touch", filepath.Join(mnt, "nobody-file"))
		if err == nil {
			t.Errorf("%s: uid 65534 created a file in the guarded mount point", when)
		}
		t.Logf("%s: uid 65534: %s", when, out)
		if flags := inodeFlags(t, mnt); flags&immutableFlag == 0 {
			t.Errorf("%s: the mount point is not immutable (flags %#x)", when, flags)
		}
	}
	assertGuarded("guarded")

	// Refusals: a non-empty directory, a mount point.
	full := filepath.Join(dirs["work"], "full")
	if err := os.MkdirAll(filepath.Join(full, "something"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := sealfs("guard", full); err == nil || !strings.Contains(out, "not empty") {
		t.Errorf("guard of a non-empty directory: %v\n%s", err, out)
	}

	key := newKey(t, dirs["keys"])
	mount := mountSealfs(t, &localStore{dir: dirs["store"]}, key, dirs["state"], mnt, dirs["work"])
	if out, err := sealfs("guard", mnt); err == nil || !strings.Contains(out, "mount point") {
		t.Errorf("guard of a mounted directory: %v\n%s", err, out)
	}
	data := []byte("written through the mount over a guarded directory")
	if err := os.MkdirAll(filepath.Join(mnt, "ab", "cd"), 0o755); err != nil {
		t.Fatalf("mkdir in the mount: %v", err)
	}
	if err := os.WriteFile(filepath.Join(mnt, "ab", "cd", "f"), data, 0o644); err != nil {
		t.Fatalf("write in the mount: %v", err)
	}
	if got, err := os.ReadFile(filepath.Join(mnt, "ab", "cd", "f")); err != nil || string(got) != string(data) {
		t.Fatalf("read back from the mount: %q, %v", got, err)
	}
	mount.unmount(t)
	assertGuarded("after the unmount")
	if out, err := sealfs("guard", mnt); err != nil || !strings.Contains(out, "already guarded") {
		t.Errorf("guard twice: %v\n%s", err, out)
	}

	// Orthanc pointed at the bare, guarded mount point fails loudly.
	server, err := Start(ctx, Options{WorkDir: dirs["work"], StorageDirectory: mnt, IndexDirectory: dirs["work"]})
	if err != nil {
		t.Logf("Orthanc does not even start on a guarded mount point: %v", err)
		return
	}
	defer server.Stop()
	ct := dicom.Collection(6, dicom.Shape{Patients: 1, Studies: 1, Series: 1, Instances: 1})[0]
	status, body, err := server.Do(ctx, "POST", "/instances", ct.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if status == 200 {
		t.Errorf("Orthanc stored into the guarded, unmounted mount point: %s", body)
	}
	t.Logf("Orthanc on the guarded mount point answers %d", status)
	if entries, err := os.ReadDir(mnt); err != nil || len(entries) > 0 {
		t.Errorf("the guarded mount point holds %d entries (%v)", len(entries), err)
	}
}

// inodeFlags reads a file's attributes as lsattr does.
func inodeFlags(t *testing.T, path string) uint32 {
	t.Helper()
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	flags, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
	if err != nil {
		t.Fatal(err)
	}
	return flags
}
