package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealfs/sealfs/integration/testenv"
)

// The packaged unit is Type=notify with a foreground sealfs, and systemd
// accepts it (with ExecStart pointed at the binary under test).
func TestSystemdUnitVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	testenv.Require(t, "systemd-analyze (apt-get install systemd)", err == nil, "it checks the packaged unit")
	src, err := os.ReadFile(filepath.Join("..", "packaging", "systemd", "sealfs-orthanc.service"))
	if err != nil {
		t.Fatal(err)
	}
	unit := string(src)
	for _, want := range []string{"\nType=notify\n", "\nNotifyAccess=main\n", "mount --foreground --config", "\nAfter=network-online.target local-fs.target\n", "\nRequiresMountsFor="} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q", strings.TrimSpace(want))
		}
	}
	dir := t.TempDir()
	unit = strings.ReplaceAll(unit, "/usr/bin/sealfs", testenv.SealfsBinary(t))
	path := filepath.Join(dir, "sealfs-orthanc.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(analyze, "verify", path)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
