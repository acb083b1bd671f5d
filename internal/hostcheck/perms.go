package hostcheck

import (
	"fmt"
	"io/fs"
	"syscall"
)

// ownerOf returns the uid and gid of a file (-1, -1 when unknown).
func ownerOf(info fs.FileInfo) (uid, gid int) {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid)
	}
	return -1, -1
}

// privateKeyPerms checks that a key file is readable by its owner only
// and owned by uid; it returns the problems and the repair.
func privateKeyPerms(f file, uid int) ([]string, *fixAction) {
	var probs []string
	a := &fixAction{file: f, uid: -1, gid: -1}
	perm := f.info.Mode().Perm()
	if perm&0o077 != 0 || perm&0o400 == 0 {
		probs = append(probs, fmt.Sprintf("%s has mode %04o, want 0600", f.host, perm))
		a.mode = 0o600
	}
	if u, _ := ownerOf(f.info); u != uid {
		probs = append(probs, fmt.Sprintf("%s is owned by uid %d, want %d", f.host, u, uid))
		a.uid = uid
	}
	if len(probs) == 0 {
		return nil, nil
	}
	return probs, a
}
