package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/sealfs/sealfs/maintain"
)

func migrateCommand() *cli.Command {
	return &cli.Command{
		Name:      "migrate",
		Usage:     "import a plain directory (e.g. an Orthanc StorageDirectory) into the store",
		ArgsUsage: "[STORE]",
		Description: `Walks --from-dir DIR and writes every regular file into the store (the same
STORE, keys and --config as sealfs mount) as a sealfs object at its path
relative to DIR, sealed under the current KEK with the volume's chunk size,
streamed (never held whole in memory). DIR is only read; nothing is deleted.
A store without a volume file gets one, as a mount would make it.

An object is written only where the store holds nothing at that path: a
path it already holds is compared with the source file and counted as
already migrated (it authenticates and holds the same bytes) or as a
conflict (anything else; left untouched, and the run exits non-zero).
Symbolic links (never followed), devices, FIFOs, sockets and names the store
cannot key (a component over 255 bytes, a path over 1024, a top-level name
starting with .sealfs) are skipped and listed, as are files matching an
--exclude glob (matched against the path relative to DIR, as path.Match
does: '*' does not cross '/'). Empty directories are not recreated.

Files are worked on in parallel (--jobs, --memory-budget). A checkpoint in
the state dir lets an interrupted run resume where it stopped; --restart
starts over; a re-run finds the files done as already migrated. --verify
reads every object back after writing it and compares it with the source.
Stop whatever writes to DIR first (or run once while it runs, then a final
pass with it stopped): a file that changes while it is read fails.

Exit status: 0 when every file was migrated, already there or skipped; 1
when any failed, conflicted, or the run could not finish.

   sealfs migrate --config /etc/sealfs/orthanc.json --from-dir /var/lib/orthanc/db`,
		Flags: append(maintainFlags(),
			&cli.StringFlag{Name: "from-dir", Required: true, Usage: "the plain `DIR` to import (only read)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "walk, check names and compare files already in the store; write nothing"},
			&cli.StringSliceFlag{Name: "exclude", Usage: "skip files whose path relative to DIR matches the glob `PATTERN` (repeatable; e.g. 'index*' for an Orthanc index in DIR)"},
			&cli.BoolFlag{Name: "verify", Usage: "read each object back after writing it and compare it with the source"},
		),
		Action: func(c *cli.Context) error {
			ctx, stop := signal.NotifyContext(c.Context, syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			mo := maintain.MigrateOptions{FromDir: c.String("from-dir"), DryRun: c.Bool("dry-run"), VerifyWritten: c.Bool("verify"),
				Exclude: c.StringSlice("exclude")}
			if fi, err := os.Stat(mo.FromDir); err != nil {
				return err
			} else if !fi.IsDir() {
				return &os.PathError{Op: "migrate", Path: mo.FromDir, Err: errors.New("not a directory")}
			}
			return runMaintenance(ctx, c, "migrate", !mo.DryRun, func(ctx context.Context, o maintain.Options) (maintain.Report, error) {
				return maintain.Migrate(ctx, o, mo)
			}, os.Stdout)
		},
	}
}
