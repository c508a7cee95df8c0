package fs_test

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/sealfs/sealfs/integration/testenv"
)

// SQLite exercises random writes, truncation, fsync and create/unlink of
// journals: Orthanc keeps its index this way when IndexDirectory is unset.
func TestSQLiteIntegrity(t *testing.T) {
	sqlite, err := exec.LookPath("sqlite3")
	testenv.Require(t, "sqlite3 (apt-get install sqlite3)", err == nil, "the SQLite test drives the sqlite3 shell")
	for _, mode := range []string{"delete", "wal"} {
		t.Run(mode, func(t *testing.T) {
			m := newMount(t, 4096)
			db := m.path("index")
			run := func(sql string) string {
				t.Helper()
				out, err := exec.Command(sqlite, db, sql).CombinedOutput()
				if err != nil {
					t.Fatalf("sqlite3 %q: %v\n%s", sql, err, out)
				}
				return strings.TrimSpace(string(out))
			}
			run(fmt.Sprintf("PRAGMA journal_mode=%s; PRAGMA page_size=4096; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB, s TEXT);", mode))
			for i := 0; i < 30; i++ {
				run(fmt.Sprintf(`BEGIN; WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<200)
					INSERT INTO t(v, s) SELECT randomblob(100 + x %% 900), 'row-%d-' || x FROM c;
					UPDATE t SET v = randomblob(50) WHERE id %% 5 = %d; DELETE FROM t WHERE id %% 11 = %d; COMMIT;`, i, i%5, i%11))
			}
			run("VACUUM;")
			if got := run("PRAGMA integrity_check;"); got != "ok" {
				t.Fatalf("integrity_check: %s", got)
			}
			count := run("SELECT count(*) FROM t;")
			m.remount()
			if got := run("PRAGMA integrity_check;"); got != "ok" {
				t.Fatalf("after remount integrity_check: %s", got)
			}
			if got := run("SELECT count(*) FROM t;"); got != count {
				t.Fatalf("after remount count = %s, want %s", got, count)
			}
			if !m.objectExists("index") {
				t.Fatal("index object missing")
			}
		})
	}
}
