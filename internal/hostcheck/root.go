package hostcheck

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// maxLinks bounds symlink resolution, as the kernel's ELOOP does.
const maxLinks = 40

// errLoop reports too many levels of symbolic links.
var errLoop = errors.New("too many levels of symbolic links")

// Root is the host's file system as seen from keycycle: Dir is where the
// host's "/" is ("/" on the host itself, a folder for tests or a mounted
// image). Paths given to its methods are host paths ("/run/secrets");
// symbolic links are followed as in a chroot: an absolute target starts
// again from Dir, and ".." never climbs above Dir.
type Root struct {
	// Dir is the folder that stands for "/".
	Dir string
}

// real maps a host path, already free of links, to the path on this
// machine.
func (r Root) real(hostPath string) string {
	return filepath.Join(r.Dir, filepath.FromSlash(hostPath))
}

// Resolve returns the host path hostPath leads to after following every
// symbolic link (the last one too when followLast), never leaving the
// root. A missing component ends resolution: the rest is appended as is,
// so that the caller's Lstat reports it missing.
func (r Root) Resolve(hostPath string, followLast bool) (string, error) {
	pending := splitPath(hostPath)
	cur := "/"
	links := 0
	for len(pending) > 0 {
		name := pending[0]
		pending = pending[1:]
		switch name {
		case ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, name)
		if len(pending) == 0 && !followLast {
			return next, nil
		}
		fi, err := os.Lstat(r.real(next))
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			if err != nil {
				return path.Join(append([]string{cur}, pending...)...), nil
			}
			continue
		}
		links++
		if links > maxLinks {
			return "", fmt.Errorf("%s: %w", hostPath, errLoop)
		}
		target, err := os.Readlink(r.real(next))
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(target, "/") {
			cur = "/"
		}
		pending = append(splitPath(target), pending...)
	}
	return cur, nil
}

func splitPath(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// file is a host file after resolution: where it is on the host, where
// it is on this machine, and what Lstat says of it.
type file struct {
	host string
	real string
	info fs.FileInfo
}

// Stat follows links (inside the root) and stats the file they lead to.
func (r Root) stat(hostPath string) (file, error) {
	return r.statAt(hostPath, true)
}

// lstat follows links in the parent folders only.
func (r Root) lstat(hostPath string) (file, error) {
	return r.statAt(hostPath, false)
}

func (r Root) statAt(hostPath string, follow bool) (file, error) {
	h, err := r.Resolve(hostPath, follow)
	if err != nil {
		return file{host: hostPath}, err
	}
	f := file{host: h, real: r.real(h)}
	f.info, err = os.Lstat(f.real)
	return f, err
}

// readFile reads a host file, following links inside the root.
func (r Root) readFile(hostPath string) ([]byte, file, error) {
	f, err := r.stat(hostPath)
	if err != nil {
		return nil, f, err
	}
	if !f.info.Mode().IsRegular() {
		return nil, f, fmt.Errorf("%s is not a regular file", hostPath)
	}
	data, err := os.ReadFile(f.real)
	return data, f, err
}
