package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version of sealfs and of the Go toolchain that built it",
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return fmt.Errorf("version: takes no arguments")
			}
			fmt.Fprintf(c.App.Writer, "sealfs %s (%s, %s/%s)\n", versionString(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

// versionString is the ldflags-set version, else the module version and
// VCS revision the Go toolchain recorded, else "dev".
func versionString() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version
	}
	return describeBuild(version, info)
}

// describeBuild combines the ldflags version with what info records.
func describeBuild(ldflagsVersion string, info *debug.BuildInfo) string {
	v := ldflagsVersion
	if v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v += " " + rev + modified
	}
	return v
}
