package main

import (
	"strings"
	"testing"
)

// The man page is generated from the commands: every command, every mount
// option that the helper accepts (mountOptionFlag) and the FILES section.
func TestManPageFromCommands(t *testing.T) {
	page, err := manPage(newApp())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page, "\n.TH sealfs 8") {
		t.Errorf("no .TH sealfs 8 header:\n%.300s", page)
	}
	for _, want := range []string{".SH NAME", ".SH COMMANDS", ".SH MOUNT OPTIONS", ".SH FILES", ".SH SEE ALSO", "/sbin/mount.fuse.sealfs"} {
		if !strings.Contains(page, want) {
			t.Errorf("man page lacks %q", want)
		}
	}
	for _, c := range newApp().Commands {
		if !c.Hidden && !strings.Contains(page, "\n"+c.Name+"\n") && !strings.Contains(page, " "+c.Name+"\n") {
			t.Errorf("man page lacks the %s command", c.Name)
		}
	}
	for _, f := range mountCommand().Flags {
		name := f.Names()[0]
		if name == "foreground" || name == "help" {
			continue
		}
		opt := strings.ReplaceAll(name, "-", "_")
		if _, err := mountOptionFlag(opt+"=x", mountCommand().Flags); err != nil && !strings.Contains(err.Error(), "takes no value") {
			t.Errorf("the helper refuses the documented option %s: %v", opt, err)
		}
		if !strings.Contains(page, `\fB`+strings.ReplaceAll(opt, "_", `\_`)) && !strings.Contains(page, `\fB`+opt) {
			t.Errorf("man page lacks mount option %s", opt)
		}
	}
	if strings.Contains(page, "\n.SH MOUNT OPTIONS") && strings.Contains(page, "foreground=") {
		t.Error("man page offers foreground as a mount option")
	}
}
