package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/sealfs/sealfs/keyring"
)

func keygenCommand() *cli.Command {
	return &cli.Command{
		Name:      "keygen",
		Usage:     "write a new key-encryption key (KEK) to FILE",
		ArgsUsage: "FILE",
		Description: `Writes 32 random bytes, base64-encoded (the format of "openssl rand -base64 32"
and of the Orthanc object-storage plugin's master keys), to FILE with mode 0400.
An existing FILE is never overwritten. Keep a copy of every KEK somewhere safe:
without it, the objects it wraps cannot be read by anyone.`,
		Flags: []cli.Flag{
			&cli.UintFlag{Name: "id", Value: 1, Usage: "the key id you will use for this key (printed as a reminder)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("keygen: want exactly one FILE argument (see sealfs keygen --help)")
			}
			path := c.Args().First()
			if err := keyring.GenerateFile(path); err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "wrote key %d to %s (mode 0400)\nmount with: sealfs mount --key %s --key-id %d STORE MOUNTPOINT\n",
				c.Uint("id"), path, path, c.Uint("id"))
			return nil
		},
	}
}
