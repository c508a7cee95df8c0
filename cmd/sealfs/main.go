// Command sealfs mounts an encrypting filesystem whose files are stored as
// envelope-encrypted objects in a local directory (and, later, S3, GCS or
// Azure Blob), and manages its keys.
package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	if err := newApp().Run(os.Args); err != nil {
		fmt.Fprintf(os.Stderr, "sealfs: %v\n", err)
		os.Exit(1)
	}
}

func newApp() *cli.App {
	return &cli.App{
		Name:    "sealfs",
		Usage:   "an encrypting FUSE filesystem for medical images (and anything else)",
		Version: version,
		Description: `sealfs presents an ordinary directory whose files are each stored as an
envelope-encrypted object: a fresh data key per object version, wrapped by a
key-encryption key (KEK) named by an id. Nothing readable leaves the process.

Quick start (development key, local store under your data directory):
   sealfs mount ~/sealed

Production:
   sealfs keygen --id 1 /etc/sealfs/kek-1.key
   sealfs mount --key /etc/sealfs/kek-1.key --key-id 1 /srv/sealfs-store /srv/orthanc/storage`,
		Commands: []*cli.Command{
			mountCommand(),
			keygenCommand(),
			guardCommand(),
			verifyCommand(),
			rotateCommand(),
		},
		HideHelpCommand: true,
		ExitErrHandler:  func(*cli.Context, error) {}, // main prints errors once
	}
}
