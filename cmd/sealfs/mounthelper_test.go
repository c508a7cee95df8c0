package main

import (
	"errors"
	"reflect"
	"testing"
)

func TestMountHelperArgs(t *testing.T) {
	flags := mountCommand().Flags
	cases := []struct {
		name string
		args []string
		want []string
		fake bool
		err  bool
	}{
		{"fstab line", []string{"/srv/store", "/mnt", "-o", "rw,config=/etc/sealfs/o.json,allow_other,_netdev,nofail,x-systemd.requires=cryptsetup.target"},
			[]string{"mount", "--config=/etc/sealfs/o.json", "--allow-other", "/srv/store", "/mnt"}, false, false},
		{"flags around", []string{"-n", "/s", "/m", "-okey=/k,key_id=7", "-v"},
			[]string{"mount", "--key=/k", "--key-id=7", "/s", "/m"}, false, false},
		{"fake", []string{"/s", "/m", "-f", "-o", "write_back,state_dir=/var/lib/x"},
			[]string{"mount", "--write-back", "--state-dir=/var/lib/x", "/s", "/m"}, true, false},
		{"mount -t passes the type", []string{"/s", "/m", "-t", "fuse.sealfs", "-o", "defaults"}, []string{"mount", "/s", "/m"}, false, false},
		{"unknown option", []string{"/s", "/m", "-o", "bogus_opt"}, nil, false, true},
		{"unknown option, sloppy", []string{"-s", "/s", "/m", "-o", "bogus_opt,nonempty"}, []string{"mount", "--nonempty", "/s", "/m"}, false, false},
		{"value on a switch", []string{"/s", "/m", "-o", "allow_other=1"}, nil, false, true},
		{"no value", []string{"/s", "/m", "-o", "key"}, nil, false, true},
		{"suid and dev change nothing", []string{"/s", "/m", "-o", "suid,dev"}, []string{"mount", "/s", "/m"}, false, false},
		{"ro", []string{"/s", "/m", "-o", "ro"}, nil, false, true},
		{"foreground is not an option", []string{"/s", "/m", "-o", "foreground"}, nil, false, true},
		{"missing mount point", []string{"/s", "-o", "key=/k"}, nil, false, true},
	}
	for _, c := range cases {
		got, fake, err := mountHelperArgs(c.args, flags)
		if (err != nil) != c.err {
			t.Errorf("%s: error %v, want error %v", c.name, err, c.err)
			continue
		}
		if err != nil {
			if !errors.Is(err, errMountOption) && c.name != "missing mount point" {
				t.Errorf("%s: error %v does not wrap errMountOption", c.name, err)
			}
			continue
		}
		if !reflect.DeepEqual(got, c.want) || fake != c.fake {
			t.Errorf("%s: got %q fake=%v, want %q fake=%v", c.name, got, fake, c.want, c.fake)
		}
	}
}

func TestIsMountHelperCall(t *testing.T) {
	cmds := newApp().Commands
	for _, c := range []struct {
		args []string
		want bool
	}{
		{[]string{"/sbin/mount.fuse.sealfs", "/s", "/m"}, true},
		{[]string{"sealfs", "/s", "/m", "-o", "key=/k"}, true},
		{[]string{"sealfs", "mount", "/s", "/m", "-o", "x"}, false},
		{[]string{"sealfs", "mount", "--key", "k", "/s", "/m"}, false},
		{[]string{"sealfs", "/s", "/m"}, false},
		{[]string{"sealfs", "--help"}, false},
	} {
		if got := isMountHelperCall(c.args, cmds); got != c.want {
			t.Errorf("isMountHelperCall(%q) = %v, want %v", c.args, got, c.want)
		}
	}
}
