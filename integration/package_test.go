package integration

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealfs/sealfs/integration/testenv"
)

// debEntry is one line of dpkg-deb --contents.
type debEntry struct {
	mode, owner, target string
}

// TestDebPackage builds the .deb with the real nfpm (scripts/build-deb.sh,
// what make deb runs) once and inspects it with dpkg-deb: paths, modes,
// the mount helper's symlink, the control file, the maintainer scripts,
// the version baked into the binary, and the man page rendered by man.
func TestDebPackage(t *testing.T) {
	nfpm, ok := testenv.FindTool("SEALFS_NFPM", "nfpm", "nfpm-"+testenv.NFPMVersion+"/nfpm")
	testenv.Require(t, "nfpm "+testenv.NFPMVersion, ok, "scripts/test.sh builds it into the tools cache (scripts/tools/nfpm.sh)")
	_, err := exec.LookPath("dpkg-deb")
	testenv.Require(t, "dpkg-deb (apt-get install dpkg)", err == nil, "it inspects the package")

	const version = "v0.9.0-3-g97fd9f1"
	out := t.TempDir()
	build := exec.Command(filepath.Join("..", "scripts", "build-deb.sh"), out)
	build.Env = append(os.Environ(), "NFPM="+nfpm, "VERSION="+version)
	var stderr bytes.Buffer
	build.Stderr = &stderr
	stdout, err := build.Output()
	if err != nil {
		t.Fatalf("build-deb.sh: %v\n%s", err, stderr.String())
	}
	deb := strings.TrimSpace(string(stdout))
	if want := filepath.Join(out, "sealfs_0.9.0+3+g97fd9f1_amd64.deb"); deb != want {
		t.Fatalf("build-deb.sh built %q, want %q", deb, want)
	}

	t.Run("contents", func(t *testing.T) { checkDebContents(t, deb) })
	t.Run("control", func(t *testing.T) { checkDebControl(t, deb) })
	root := t.TempDir()
	if msg, err := exec.Command("dpkg-deb", "-x", deb, root).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb -x: %v\n%s", err, msg)
	}
	t.Run("version", func(t *testing.T) {
		msg, err := exec.Command(filepath.Join(root, "usr", "bin", "sealfs"), "version").CombinedOutput()
		if err != nil || !strings.HasPrefix(string(msg), "sealfs "+version+" ") {
			t.Errorf("sealfs version: %v: %q, want it to start with %q", err, msg, "sealfs "+version+" ")
		}
	})
	t.Run("man", func(t *testing.T) { checkManPage(t, filepath.Join(root, "usr", "share", "man", "man8", "sealfs.8.gz")) })
	t.Run("install", func(t *testing.T) { checkInstallRemove(t, deb, version) })
}

// debContents lists a package's files by path (without the leading ".").
func debContents(t *testing.T, deb string) map[string]debEntry {
	t.Helper()
	listing, err := exec.Command("dpkg-deb", "--contents", deb).Output()
	if err != nil {
		t.Fatalf("dpkg-deb --contents: %v", err)
	}
	entries := map[string]debEntry{}
	sc := bufio.NewScanner(bytes.NewReader(listing))
	for sc.Scan() {
		// drwx------ root/root 0 2026-12-07 04:10 ./etc/sealfs/
		f := strings.Fields(sc.Text())
		if len(f) < 6 {
			t.Fatalf("dpkg-deb --contents line %q", sc.Text())
		}
		e := debEntry{mode: f[0], owner: f[1]}
		if len(f) == 8 && f[6] == "->" {
			e.target = f[7]
		}
		path := strings.TrimSuffix(strings.TrimPrefix(f[5], "."), "/")
		entries[path] = e
	}
	return entries
}

func checkDebContents(t *testing.T, deb string) {
	entries := debContents(t, deb)
	want := map[string]string{
		"/usr/bin/sealfs":                                              "-rwxr-xr-x",
		"/sbin/mount.fuse.sealfs":                                      "lrwxrwxrwx",
		"/usr/share/man/man8/sealfs.8.gz":                              "-rw-r--r--",
		"/lib/systemd/system/sealfs-orthanc.service":                   "-rw-r--r--",
		"/etc/logrotate.d/sealfs":                                      "-rw-r--r--",
		"/etc/sealfs":                                                  "drwx------",
		"/usr/share/doc/sealfs/examples/orthanc.json":                  "-rw-r--r--",
		"/usr/share/doc/sealfs/examples/orthanc.fstab":                 "-rw-r--r--",
		"/usr/share/doc/sealfs/examples/orthanc.service.d/sealfs.conf": "-rw-r--r--",
		"/usr/share/doc/sealfs/README.md":                              "-rw-r--r--",
		"/usr/share/doc/sealfs/operations.md":                          "-rw-r--r--",
		"/usr/share/doc/sealfs/orthanc.md":                             "-rw-r--r--",
	}
	for path, mode := range want {
		e, ok := entries[path]
		switch {
		case !ok:
			t.Errorf("%s is not in the package", path)
		case e.mode != mode:
			t.Errorf("%s has mode %s, want %s", path, e.mode, mode)
		case e.owner != "root/root":
			t.Errorf("%s is owned by %s, want root/root", path, e.owner)
		}
	}
	if got := entries["/sbin/mount.fuse.sealfs"].target; got != "/usr/bin/sealfs" {
		t.Errorf("/sbin/mount.fuse.sealfs points to %q, want /usr/bin/sealfs", got)
	}
	for path := range entries {
		if strings.HasPrefix(path, "/etc/sealfs/") {
			t.Errorf("the package ships %s: /etc/sealfs is the administrator's (keys, configs)", path)
		}
	}
}

func checkDebControl(t *testing.T, deb string) {
	depends, err := exec.Command("dpkg-deb", "--field", deb, "Depends").Output()
	if err != nil || !strings.Contains(string(depends), "fuse3") {
		t.Errorf("Depends: %v: %q, want fuse3", err, depends)
	}
	control := t.TempDir()
	if msg, err := exec.Command("dpkg-deb", "-e", deb, control).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb -e: %v\n%s", err, msg)
	}
	conffiles, err := os.ReadFile(filepath.Join(control, "conffiles"))
	if err != nil || !strings.Contains(string(conffiles), "/etc/logrotate.d/sealfs") {
		t.Errorf("conffiles: %v: %q, want /etc/logrotate.d/sealfs", err, conffiles)
	}
	for _, name := range []string{"postinst", "postrm"} {
		script, err := os.ReadFile(filepath.Join(control, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !strings.Contains(string(script), "systemctl daemon-reload") {
			t.Errorf("%s does not reload systemd", name)
		}
		// The administrator enables and starts units and owns the keys.
		for _, banned := range []string{"systemctl enable", "systemctl start", "systemctl restart", "keygen", "rm -"} {
			if strings.Contains(string(script), banned) {
				t.Errorf("%s contains %q", name, banned)
			}
		}
		if msg, err := exec.Command("sh", "-n", filepath.Join(control, name)).CombinedOutput(); err != nil {
			t.Errorf("sh -n %s: %v\n%s", name, err, msg)
		}
	}
}

// checkManPage renders the packaged man page with man -l and requires no
// warnings and the sections the package documents.
func checkManPage(t *testing.T, page string) {
	manBin, err := exec.LookPath("man")
	testenv.Require(t, "man (apt-get install man-db groff-base)", err == nil, "it renders the man page")
	cmd := exec.Command(manBin, "-l", page)
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "MANWIDTH=100", "MANPAGER=cat", "PAGER=cat")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	text, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("man -l %s: %v\n%s", page, err, stderr.String())
	}
	for _, want := range []string{"NAME", "sealfs - ", "COMMANDS", "MOUNT OPTIONS", "config=VALUE", "key_id=VALUE", "_netdev", "FILES", "/etc/sealfs/", "/sbin/mount.fuse.sealfs", "SEE ALSO"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("man page lacks %q", want)
		}
	}
}
