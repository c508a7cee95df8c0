package testenv

import (
	"errors"
	"strings"
	"testing"
)

// mountinfoFixture is a trimmed copy of a real /proc/self/mountinfo, with a
// mount point holding a space and a tab, and optional fields.
const mountinfoFixture = `22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
42 27 0:39 / /var/tmp/bench/gocryptfs/mnt rw,nosuid,nodev,relatime shared:5 master:2 - fuse.gocryptfs /var/tmp/bench/gocryptfs/cipher rw,user_id=0,group_id=0,max_read=131072
43 27 0:40 / /var/tmp/my\040mount\011x rw,nosuid,nodev - fuse.sealfs sealfs rw,user_id=0,group_id=0
44 27 0:41 / /var/tmp/bench/gocryptfs/mnt rw - tmpfs tmpfs rw
`

func TestParseMountinfo(t *testing.T) {
	entries, err := parseMountinfo(strings.NewReader(mountinfoFixture))
	if err != nil {
		t.Fatalf("parseMountinfo: %v", err)
	}
	want := []mountEntry{
		{mountPoint: "/proc", fsType: "proc", source: "proc"},
		{mountPoint: "/", fsType: "ext4", source: "/dev/vda"},
		{mountPoint: "/var/tmp/bench/gocryptfs/mnt", fsType: "fuse.gocryptfs", source: "/var/tmp/bench/gocryptfs/cipher"},
		{mountPoint: "/var/tmp/my mount\tx", fsType: "fuse.sealfs", source: "sealfs"},
		{mountPoint: "/var/tmp/bench/gocryptfs/mnt", fsType: "tmpfs", source: "tmpfs"},
	}
	if len(entries) != len(want) {
		t.Fatalf("got %d entries, want %d: %+v", len(entries), len(want), entries)
	}
	for i := range want {
		if entries[i] != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, entries[i], want[i])
		}
	}
}

func TestParseMountinfoLine(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    mountEntry
		wantErr bool
	}{
		{
			name: "plain",
			line: "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue",
			want: mountEntry{mountPoint: "/mnt2", fsType: "ext3", source: "/dev/root"},
		},
		{
			name: "empty source",
			line: "50 27 0:45 / /mnt/x rw - fuse.sealfs  rw",
			want: mountEntry{mountPoint: "/mnt/x", fsType: "fuse.sealfs", source: ""},
		},
		{
			name: "escaped backslash and newline",
			line: `50 27 0:45 / /a\134b\012c rw - fuse.sealfs src rw`,
			want: mountEntry{mountPoint: "/a\\b\nc", fsType: "fuse.sealfs", source: "src"},
		},
		{name: "empty line", line: "", wantErr: true},
		{name: "no separator", line: "36 35 98:0 /mnt1 /mnt2 rw ext3 /dev/root rw", wantErr: true},
		{name: "separator too early", line: "36 35 98:0 /mnt1 - rw ext3 /dev/root rw", wantErr: true},
		{name: "too few after separator", line: "36 35 98:0 / /mnt rw - ext3 /dev/root", wantErr: true},
		{name: "too many after separator", line: "36 35 98:0 / /mnt rw - ext3 /dev/root rw extra", wantErr: true},
		{name: "empty fstype", line: "36 35 98:0 / /mnt rw -  /dev/root rw", wantErr: true},
		{name: "relative mount point", line: "36 35 98:0 / mnt rw - ext3 /dev/root rw", wantErr: true},
		{name: "truncated escape", line: `36 35 98:0 / /mnt\04 rw - ext3 /dev/root rw`, wantErr: true},
		{name: "non-octal escape", line: `36 35 98:0 / /mnt\09x rw - ext3 /dev/root rw`, wantErr: true},
		{name: "escape above a byte", line: `36 35 98:0 / /mnt\777 rw - ext3 /dev/root rw`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMountinfoLine(tt.line)
			if tt.wantErr {
				if !errors.Is(err, errMalformedMountinfo) {
					t.Fatalf("parseMountinfoLine(%q) = %+v, %v; want errMalformedMountinfo", tt.line, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseMountinfoLine(%q): %v", tt.line, err)
			}
			if got != tt.want {
				t.Errorf("parseMountinfoLine(%q) = %+v, want %+v", tt.line, got, tt.want)
			}
		})
	}
}

func TestParseMountinfoReportsLineNumber(t *testing.T) {
	input := "22 27 0:21 / /proc rw,relatime - proc proc rw\nbroken\n"
	_, err := parseMountinfo(strings.NewReader(input))
	if !errors.Is(err, errMalformedMountinfo) {
		t.Fatalf("err = %v, want errMalformedMountinfo", err)
	}
	if !strings.Contains(err.Error(), "line 2") {
		t.Errorf("err = %q, want it to name line 2", err)
	}
}

func TestTopmostAt(t *testing.T) {
	entries, err := parseMountinfo(strings.NewReader(mountinfoFixture))
	if err != nil {
		t.Fatalf("parseMountinfo: %v", err)
	}
	tests := []struct {
		path string
		want string
	}{
		{path: "/proc", want: "proc"},
		{path: "/var/tmp/my mount\tx", want: "fuse.sealfs"},
		{path: "/var/tmp/bench/gocryptfs/mnt", want: "tmpfs"}, // stacked: the last one wins
		{path: "/var/tmp", want: ""},
		{path: "/var/tmp/bench/gocryptfs/mnt/", want: ""},
	}
	for _, tt := range tests {
		if got := topmostAt(entries, tt.path); got != tt.want {
			t.Errorf("topmostAt(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func FuzzParseMountinfo(f *testing.F) {
	f.Add(mountinfoFixture)
	f.Add("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n")
	f.Add(`50 27 0:45 / /a\134b\012c rw - fuse.sealfs src rw`)
	f.Add("1 2 3 4 5 6 - \n")
	f.Add("")
	f.Fuzz(func(t *testing.T, input string) {
		entries, err := parseMountinfo(strings.NewReader(input))
		if err != nil {
			return
		}
		for _, entry := range entries {
			if !strings.HasPrefix(entry.mountPoint, "/") {
				t.Errorf("mount point %q is not absolute", entry.mountPoint)
			}
			if entry.fsType == "" {
				t.Errorf("empty filesystem type in %+v", entry)
			}
		}
	})
}
