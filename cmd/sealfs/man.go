package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/cpuguy83/go-md2man/v2/md2man"
	"github.com/urfave/cli/v2"
)

// manCommand is the hidden "sealfs man" that writes the sealfs(8) man
// page, generated from the command definitions so that it never drifts
// from --help. The package build (scripts/build-deb.sh) runs it.
func manCommand(app *cli.App) *cli.Command {
	return &cli.Command{
		Name:   "man",
		Usage:  "write the sealfs(8) man page (roff) to stdout or FILE",
		Hidden: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to `FILE` instead of stdout"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return fmt.Errorf("man: takes no arguments")
			}
			page, err := manPage(app)
			if err != nil {
				return err
			}
			if out := c.String("output"); out != "" {
				return os.WriteFile(out, []byte(page), 0o644)
			}
			_, err = fmt.Fprint(c.App.Writer, page)
			return err
		},
	}
}

// manPage renders app's own documentation (urfave/cli's markdown) followed
// by the MOUNT OPTIONS, FILES and SEE ALSO sections as a section 8 page.
func manPage(app *cli.App) (string, error) {
	saved := app.Version
	app.Version = "" // not in the page: the package's version is
	doc, err := app.ToMarkdown()
	app.Version = saved
	if err != nil {
		return "", fmt.Errorf("man: %w", err)
	}
	doc = "% sealfs 8\n\n" + doc + "\n" + mountOptionsSection(mountCommand().Flags) + filesSection
	return string(md2man.Render([]byte(doc))), nil
}

// mountOptionsSection lists the fstab (-o) options that mount(8) passes to
// the mount.fuse.sealfs helper: each flag of "sealfs mount" spelled with _
// for -, the way mountOptionFlag accepts them, and the ignored ones.
func mountOptionsSection(flags []cli.Flag) string {
	var b strings.Builder
	b.WriteString(`# MOUNT OPTIONS

sealfs is mount(8)'s helper for the type **fuse.sealfs** (installed as
/sbin/mount.fuse.sealfs), so that an /etc/fstab line such as

    /srv/sealfs-store /srv/orthanc/storage fuse.sealfs config=/etc/sealfs/orthanc.json,allow_other,_netdev,nofail 0 0

mounts with **mount** and at boot. Each option below is the flag of
**sealfs mount** of that name; an unknown option is refused by name.

`)
	for _, f := range flags {
		name := f.Names()[0]
		if name == "foreground" || name == "help" {
			continue
		}
		opt := strings.ReplaceAll(name, "-", "_")
		if _, isBool := f.(*cli.BoolFlag); !isBool {
			opt += "=VALUE"
		}
		usage := ""
		if d, ok := f.(cli.DocGenerationFlag); ok {
			usage = strings.ReplaceAll(d.GetUsage(), "`", "")
		}
		fmt.Fprintf(&b, "**%s**\n: %s\n\n", opt, usage)
	}
	ignored := slices.Clone(ignoredMountOptions)
	fmt.Fprintf(&b, "Ignored (mount(8)'s and systemd's own): %s, comment and every x-\\* option (such as x-systemd.requires=). sealfs mounts are always nosuid and nodev; **ro** is refused.\n\n",
		strings.Join(ignored, ", "))
	return b.String()
}

// filesSection names the files the package installs and the daemon uses.
const filesSection = `# FILES

/etc/sealfs/
: configuration and key files (mode 0700); **sealfs keygen** writes keys here. The package never creates, reads or removes keys.

/etc/sealfs/orthanc.json
: the config of the packaged unit (copy it from /usr/share/doc/sealfs/examples/orthanc.json).

/lib/systemd/system/sealfs-orthanc.service
: the systemd unit (Type=notify); not enabled by the package.

/etc/logrotate.d/sealfs
: rotation of the daemon's log and audit log (sealfs reopens them on SIGHUP).

/var/lib/sealfs/state/
: per-mount state directories of root mounts (staging, metadata, write-back journal; ciphertext only).

/var/log/sealfs/
: audit logs of the example config.

/sbin/mount.fuse.sealfs
: mount(8)'s helper, a symbolic link to /usr/bin/sealfs.

/usr/share/doc/sealfs/
: README, operations and Orthanc guides, examples (config, fstab line, Orthanc drop-in).

# SEE ALSO

mount(8), fstab(5), mount.fuse3(8), systemd.unit(5), logrotate(8)
`
