package main

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
)

type ownerIDs struct{ uid, gid uint32 }

// resolveOwner reads --uid/--gid as names or numbers; empty means the
// mounting user's own. A user name alone also sets the group to that
// user's primary group.
func resolveOwner(uidSpec, gidSpec string) (ownerIDs, error) {
	o := ownerIDs{uid: uint32(os.Getuid()), gid: uint32(os.Getgid())}
	if uidSpec != "" {
		if n, err := strconv.ParseUint(uidSpec, 10, 32); err == nil {
			o.uid = uint32(n)
		} else {
			u, err := user.Lookup(uidSpec)
			if err != nil {
				return o, fmt.Errorf("--uid %q: %w", uidSpec, err)
			}
			uid, _ := strconv.ParseUint(u.Uid, 10, 32)
			gid, _ := strconv.ParseUint(u.Gid, 10, 32)
			o.uid, o.gid = uint32(uid), uint32(gid)
		}
	}
	if gidSpec != "" {
		if n, err := strconv.ParseUint(gidSpec, 10, 32); err == nil {
			o.gid = uint32(n)
		} else {
			g, err := user.LookupGroup(gidSpec)
			if err != nil {
				return o, fmt.Errorf("--gid %q: %w", gidSpec, err)
			}
			gid, _ := strconv.ParseUint(g.Gid, 10, 32)
			o.gid = uint32(gid)
		}
	}
	return o, nil
}
