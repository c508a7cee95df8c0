// Command sealfs mounts an encrypting filesystem whose files are stored as
// envelope-encrypted objects in a local directory, an S3 bucket, a Google
// Cloud Storage bucket or an Azure Blob container, and manages its keys.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
)

// version is set at build time with -ldflags "-X main.version=…"; without
// it, the module version recorded by the Go toolchain is shown.
var version = "dev"

func main() {
	app := newApp()
	args := os.Args
	if isMountHelperCall(args, app.Commands) {
		helperArgs, fake, err := mountHelperArgs(args[1:], mountCommand().Flags)
		if err != nil {
			fmt.Fprintf(os.Stderr, "sealfs: %v\n", err)
			os.Exit(1)
		}
		if fake {
			return // mount -f: the options were checked, nothing is mounted
		}
		args = append([]string{"sealfs"}, helperArgs...)
		os.Args = args // the daemonized child repeats the translated command line
	}
	if err := app.Run(args); err != nil {
		fmt.Fprintf(os.Stderr, "sealfs: %v\n", err)
		os.Exit(1)
	}
}

func newApp() *cli.App {
	app := &cli.App{
		Name:    "sealfs",
		Usage:   "an encrypting FUSE filesystem for medical images (and anything else)",
		Version: versionString(),
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
			versionCommand(),
			statusCommand(),
			verifyCommand(),
			rotateCommand(),
			migrateCommand(),
		},
		// Reached only when the first argument names no command.
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return cli.ShowAppHelp(c)
			}
			return unknownCommand(c.App, c.Args().First())
		},
		CommandNotFound: func(c *cli.Context, name string) {
			fmt.Fprintf(c.App.ErrWriter, "sealfs: %v\n", unknownCommand(c.App, name))
		},
		ExitErrHandler: func(*cli.Context, error) {}, // main prints errors once
	}
	// With its own help command, urfave/cli no longer adds --help itself.
	app.Commands = append(app.Commands, helpCommand(app), manCommand(app))
	app.Flags = append(app.Flags, cli.HelpFlag)
	for _, cmd := range app.Commands {
		cmd.Before = flagsFirst
	}
	return app
}

// helpCommand replaces urfave/cli's, which answers an unknown topic with
// "No help topic for …" and success.
func helpCommand(app *cli.App) *cli.Command {
	return &cli.Command{
		Name:      "help",
		Usage:     "list the commands, or show one command's flags and examples",
		ArgsUsage: "[COMMAND]",
		Action: func(c *cli.Context) error {
			switch c.NArg() {
			case 0:
				return cli.ShowAppHelp(c)
			case 1:
				name := c.Args().First()
				cmd := app.Command(name)
				if cmd == nil || name == "help" {
					return unknownCommand(app, name)
				}
				cli.HelpPrinter(app.Writer, cli.CommandHelpTemplate, cmd)
				return nil
			}
			return fmt.Errorf("help: want at most one COMMAND")
		},
	}
}

// unknownCommand names the commands that exist.
func unknownCommand(app *cli.App, name string) error {
	var names []string
	for _, c := range app.Commands {
		if !c.Hidden && c.Name != "help" {
			names = append(names, c.Name)
		}
	}
	return fmt.Errorf("unknown command %q; the commands are %s and help (see sealfs --help)", name, strings.Join(names, ", "))
}

// flagsFirst refuses a flag written after the command's arguments, which
// the flag parser would otherwise take for one more path.
func flagsFirst(c *cli.Context) error {
	for _, a := range c.Args().Slice() {
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			return fmt.Errorf("%s: %q comes after the arguments; flags go first: sealfs %s [FLAGS] %s",
				c.Command.Name, a, c.Command.Name, c.Command.ArgsUsage)
		}
	}
	return nil
}
