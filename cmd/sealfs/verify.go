package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sealfs/sealfs/maintain"
)

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "authenticate every object of a store in full",
		ArgsUsage: "[STORE]",
		Description: `Reads every object of the store (the same STORE, keys and --config as sealfs
mount) and authenticates it in full: header, key slot, identity, every chunk
and the length. It only reads, so it may run while the store is mounted.
Objects are worked on in parallel (--jobs). A checkpoint in the state dir
lets an interrupted run (Ctrl-C, SIGTERM, a crash) resume where it stopped;
--restart starts over.

Prints a summary (objects, bytes, rate; with --kek-usage the objects and
bytes per KEK id, from every readable header) and each failed object with
its reason. Exit status: 0 when every object verified, 1 when any failed
or the run could not finish.

   sealfs verify --config /etc/sealfs/orthanc.json --kek-usage`,
		Flags: append(maintainFlags(),
			&cli.BoolFlag{Name: "kek-usage", Usage: "count objects and bytes per KEK id"},
		),
		Action: func(c *cli.Context) error {
			ctx, stop := signal.NotifyContext(c.Context, syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return runMaintenance(ctx, c, "verify", false, func(ctx context.Context, o maintain.Options) (maintain.Report, error) {
				return maintain.Verify(ctx, o)
			}, os.Stdout)
		},
	}
}

// runMaintenance opens the store and keys for op, runs it with progress,
// and prints the summary to out.
func runMaintenance(ctx context.Context, c *cli.Context, op string, recordKeys bool,
	fn func(context.Context, maintain.Options) (maintain.Report, error), out io.Writer) error {
	m, err := openMaintenance(ctx, c, op, recordKeys)
	if err != nil {
		return err
	}
	defer m.Close()
	o, err := m.options(c, op)
	if err != nil {
		return err
	}
	prog := newProgress(op, c.Duration("progress-interval"))
	o.Progress = prog
	start := time.Now()
	rep, err := fn(ctx, o)
	prog.Close()
	printReport(out, op, rep, runStats{took: time.Since(start), objects: prog.done.Load(), bytes: prog.doneBytes.Load()},
		c.Bool("kek-usage") || op == "rotate")
	return err
}

// runStats is what this run did (a report resumed from a checkpoint also
// counts what earlier runs did).
type runStats struct {
	took           time.Duration
	objects, bytes int64
}

// printReport prints a run's summary.
func printReport(w io.Writer, op string, r maintain.Report, run runStats, kekUsage bool) {
	if r.ResumedAfter != "" {
		fmt.Fprintf(w, "%s: resumed after %q (counts include the earlier runs)\n", op, r.ResumedAfter)
	}
	secs := max(run.took.Seconds(), 1e-3)
	fmt.Fprintf(w, "%s: %d objects, %s, %d failed; this run: %d objects in %s (%.0f objects/s, %s/s)\n",
		op, r.Objects, humanBytes(r.Bytes), len(r.Failures), run.objects, run.took.Round(time.Millisecond),
		float64(run.objects)/secs, humanBytes(int64(float64(run.bytes)/secs)))
	if op == "rotate" {
		fmt.Fprintf(w, "rotate: %d rewrapped (%s), %d already current, %d under other keys, %d retried after a concurrent change\n",
			r.Rewrapped, humanBytes(r.RewrappedBytes), r.Current, r.NotSelected, r.Retries)
	}
	if op == "migrate" {
		fmt.Fprintf(w, "migrate: %d migrated (%s), %d already migrated, %d skipped, %d conflicts, %d failed\n",
			r.Migrated, humanBytes(r.MigratedBytes), r.AlreadyMigrated, len(r.Skipped), len(r.Conflicts), len(r.Failures))
		for _, f := range r.Skipped {
			fmt.Fprintf(w, "SKIPPED %s: %s\n", f.Key, f.Reason)
		}
		for _, f := range r.Conflicts {
			fmt.Fprintf(w, "CONFLICT %s: %s\n", f.Key, f.Reason)
		}
	}
	if r.Gone > 0 {
		fmt.Fprintf(w, "%s: %d objects deleted while the run went on (not counted)\n", op, r.Gone)
	}
	if kekUsage {
		ids := make([]uint32, 0, len(r.KEKUsage))
		for id := range r.KEKUsage {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			u := r.KEKUsage[id]
			fmt.Fprintf(w, "kek %d: %d objects, %s\n", id, u.Objects, humanBytes(u.Bytes))
		}
	}
	problems := map[string]int{}
	for _, f := range r.Failures {
		problems[f.Problem]++
	}
	names := slices.Sorted(maps.Keys(problems))
	for _, p := range names {
		fmt.Fprintf(w, "%s: %d failed: %s\n", op, problems[p], p)
	}
	for _, f := range r.Failures {
		fmt.Fprintf(w, "FAILED %s: %s\n", f.Key, f.Reason)
	}
}
