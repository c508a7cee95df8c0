package orthanc

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sealfs/sealfs/integration/dicom"
	"github.com/sealfs/sealfs/integration/testenv"
)

// Orthanc stores, serves and deletes instances on a sealfs mount over each
// kind of store; they survive a remount with an empty state dir; a tampered
// or swapped object is an error, never 200; no plaintext reaches the store
// (for S3, MinIO's data directory) or the state dir; deleting everything
// leaves nothing behind.
func TestOrthancOnSealfs(t *testing.T) {
	requireTools(t)
	forEachStore(t, testOrthancOnSealfs)
}

// testOrthancOnSealfs is TestOrthancOnSealfs over one kind of store.
func testOrthancOnSealfs(t *testing.T, kind storeKind) {
	ctx := testContext(t)
	dirs := mkdirs(t, "keys", "backend", "state1", "state2", "mnt", "index", "work", "cstore")
	store := kind.open(t, dirs["backend"])
	key := newKey(t, dirs["keys"])
	mount := mountSealfs(t, store, key, dirs["state1"], dirs["mnt"], dirs["work"])
	opts := Options{WorkDir: dirs["work"], StorageDirectory: dirs["mnt"], IndexDirectory: dirs["index"]}
	server := startOrthanc(t, ctx, opts)

	var all []*instance
	restCTs := append(dicom.Collection(1, kind.restShape),
		dicom.MultiFrame(3, 40), dicom.MultiFrame(4, 64)) // n × 0.5 MB, 20 MiB, 32 MiB
	for _, ct := range restCTs {
		in := &instance{ct: ct, data: ct.Encode()}
		id, err := server.Upload(ctx, in.data)
		if err != nil {
			t.Fatalf("upload %s: %v", ct.SOPInstanceUID, err)
		}
		in.id = id
		all = append(all, in)
	}
	cstoreCTs := dicom.Collection(2, dicom.Shape{Patients: 2, Studies: 1, Series: 1, Instances: 5})
	args := []string{"-aec", AET, "-aet", "SEALFSTEST", "127.0.0.1", strconv.Itoa(server.DicomPort)}
	for i, ct := range cstoreCTs {
		in := &instance{ct: ct, data: ct.Encode(), rewritten: true}
		path := filepath.Join(dirs["cstore"], fmt.Sprintf("%02d.dcm", i))
		if err := os.WriteFile(path, in.data, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, path)
		all = append(all, in)
	}
	if out, err := exec.CommandContext(ctx, "storescu", args...).CombinedOutput(); err != nil {
		t.Fatalf("storescu: %v\n%s", err, out)
	}
	for _, in := range all[len(restCTs):] {
		id, err := server.LookupInstance(ctx, in.ct.SOPInstanceUID)
		if err != nil {
			t.Fatalf("after C-STORE: %v", err)
		}
		in.id = id
	}
	checkInstances(t, ctx, server, all)

	// A new sealfs process with an empty state dir reads the same store.
	stopOrthanc(t, server)
	mount.unmount(t)
	firstLog := mount.logPath
	if entries, err := os.ReadDir(dirs["mnt"]); err != nil || len(entries) > 0 {
		t.Errorf("the bare mount point holds %d entries (%v)", len(entries), err)
	}
	mount = mountSealfs(t, store, key, dirs["state2"], dirs["mnt"], dirs["work"])
	server = startOrthanc(t, ctx, opts)
	checkInstances(t, ctx, server, all)
	if t.Failed() {
		t.FailNow()
	}

	// Tamper: one flipped byte, and two objects swapped.
	names := make([]string, 3)
	for i := range names {
		uuid, err := server.AttachmentUUID(ctx, all[i].id)
		if err != nil {
			t.Fatal(err)
		}
		names[i] = StoragePath(uuid)
	}
	store.flipByte(t, names[0])
	store.swap(t, names[1], names[2])
	testenv.DropCaches()
	for _, in := range all[:3] {
		status, body, err := server.Do(ctx, "GET", "/instances/"+in.id+"/file", nil)
		if err != nil {
			t.Fatal(err)
		}
		if status == 200 {
			t.Errorf("tampered instance %s: /file answered 200 with %d bytes (equal to the upload: %v)",
				in.id, len(body), bytes.Equal(body, in.data))
		} else {
			t.Logf("tampered instance %s: /file answered %d", in.id, status)
		}
	}
	// The operator finds each failure, with the file's path, in the log
	// and in the audit log.
	logs := mount.log()
	audit, err := os.ReadFile(filepath.Join(dirs["state2"], "audit.log"))
	if err != nil {
		t.Errorf("audit log: %v", err)
	}
	for _, name := range names {
		if !strings.Contains(logs, name) {
			t.Errorf("the sealfs log does not name the tampered file %s:\n%s", name, logs)
		}
		if !bytes.Contains(audit, []byte(name)) {
			t.Errorf("the audit log does not name the tampered file %s:\n%s", name, audit)
		}
	}
	for _, in := range all[3:] {
		if got, err := server.File(ctx, in.id); err != nil || !in.sameFile(got) {
			t.Errorf("untouched instance %s after the tampering: %v", in.id, err)
		}
	}

	// No plaintext anywhere in the store, the state dirs or sealfs's logs; the scan finds
	// the marker where it must be (Orthanc's own index holds patient names).
	marker := []byte(dicom.Marker)
	scanned := append(store.scanRoots(), dirs["state1"], dirs["state2"], firstLog, mount.logPath)
	if hits := filesWith(t, marker, scanned...); len(hits) > 0 {
		t.Errorf("plaintext marker found in %q", hits)
	}
	if hits := filesWith(t, marker, dirs["index"]); len(hits) == 0 {
		t.Error("the marker scan does not even find the marker in Orthanc's index: the scan is broken")
	}

	// Deleting every study leaves nothing in the mount or the store (whose
	// listing does show the objects before).
	if before := store.objects(t); !slices.Contains(before, names[0]) {
		t.Errorf("the store's listing lacks %s before the deletion: %d entries", names[0], len(before))
	}
	studies, err := server.List(ctx, "studies")
	if err != nil {
		t.Fatal(err)
	}
	if want := kind.restShape.Patients*kind.restShape.Studies + 2 + 2; len(studies) != want {
		t.Errorf("%d studies, want %d", len(studies), want)
	}
	for _, id := range studies {
		if err := server.Delete(ctx, "/studies/"+id); err != nil {
			t.Error(err)
		}
	}
	if ids, err := server.List(ctx, "instances"); err != nil || len(ids) != 0 {
		t.Errorf("after deleting every study: %d instances (%v)", len(ids), err)
	}
	if left := userEntries(t, dirs["mnt"]); len(left) > 0 {
		t.Errorf("the mount still holds %q", left)
	}
	if left := store.objects(t); len(left) > 0 {
		t.Errorf("the store still holds %q", left)
	}
	stopOrthanc(t, server)
	mount.unmount(t)
}

// With IndexDirectory unset, Orthanc keeps its SQLite index on the mount
// (pwrite, ftruncate, fdatasync, locks) over each kind of store; the
// instances survive a restart.
func TestOrthancIndexOnMount(t *testing.T) {
	requireTools(t)
	forEachStore(t, testOrthancIndexOnMount)
}

// testOrthancIndexOnMount is TestOrthancIndexOnMount over one kind of store.
func testOrthancIndexOnMount(t *testing.T, kind storeKind) {
	ctx := testContext(t)
	dirs := mkdirs(t, "keys", "backend", "state", "mnt", "work")
	store := kind.open(t, dirs["backend"])
	key := newKey(t, dirs["keys"])
	mountSealfs(t, store, key, dirs["state"], dirs["mnt"], dirs["work"])
	opts := Options{WorkDir: dirs["work"], StorageDirectory: dirs["mnt"]}
	server := startOrthanc(t, ctx, opts)
	var all []*instance
	for _, ct := range dicom.Collection(5, dicom.Shape{Patients: 2, Studies: 1, Series: 1, Instances: 3}) {
		in := &instance{ct: ct, data: ct.Encode()}
		id, err := server.Upload(ctx, in.data)
		if err != nil {
			t.Fatal(err)
		}
		in.id = id
		all = append(all, in)
	}
	if _, err := os.Stat(filepath.Join(dirs["mnt"], "index")); err != nil {
		t.Errorf("no index on the mount: %v", err)
	}
	stopOrthanc(t, server)
	server = startOrthanc(t, ctx, opts)
	checkInstances(t, ctx, server, all)
	if hits := filesWith(t, []byte(dicom.Marker), append(store.scanRoots(), dirs["state"])...); len(hits) > 0 {
		t.Errorf("plaintext marker found in %q", hits)
	}
	stopOrthanc(t, server)
}
