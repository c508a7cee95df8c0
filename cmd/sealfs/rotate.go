package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/sealfs/sealfs/maintain"
)

func rotateCommand() *cli.Command {
	return &cli.Command{
		Name:      "rotate",
		Usage:     "rewrap every object's data key under the current KEK",
		ArgsUsage: "[STORE]",
		Description: `Rewraps the data key of every object of the store (the same STORE, keys and
--config as sealfs mount) that is not under the current KEK: only the key
slot of the header changes, the data does not. Each object is rewritten as a
stream (new header, then the old body) and replaced only if the store still
holds the version read, so a file a mount rewrites meanwhile is read again
and retried, never clobbered. Safe to run while the store is mounted.

Before: every mount knows the new key (decrypt-only, then current). After:
run sealfs verify --kek-usage, and retire the old key once it counts zero
objects. Rewrapping does not help against a compromised key: whoever had it
may have kept the data keys it wrapped. --reencrypt then decrypts every
object (or every one under --from ID, current ones included) and seals it
again under a fresh data key; it reads and writes all the data (see
docs/keys.md).

A checkpoint in the state dir lets an interrupted run resume; --restart
starts over. Exit status: 0 when every object is done, 1 when any failed
or the run could not finish.

   sealfs rotate --config /etc/sealfs/orthanc.json --from 1`,
		Flags: append(maintainFlags(),
			&cli.UintFlag{Name: "from", Usage: "only rewrap objects under this KEK `ID`"},
			&cli.BoolFlag{Name: "dry-run", Usage: "check and count what would be rewrapped; write nothing"},
			&cli.BoolFlag{Name: "reencrypt", Usage: "after a compromise: seal every object (or every one under --from) again under a fresh data key, not just rewrap it"},
		),
		Action: func(c *cli.Context) error {
			ctx, stop := signal.NotifyContext(c.Context, syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			ro := maintain.RotateOptions{DryRun: c.Bool("dry-run"), Reencrypt: c.Bool("reencrypt")}
			if c.IsSet("from") {
				ro.From, ro.HasFrom = uint32(c.Uint("from")), true
			}
			return runMaintenance(ctx, c, "rotate", !ro.DryRun, func(ctx context.Context, o maintain.Options) (maintain.Report, error) {
				return maintain.Rotate(ctx, o, ro)
			}, os.Stdout)
		},
	}
}
