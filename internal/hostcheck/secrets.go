package hostcheck

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
)

// links returns the link path and mount point the checks use.
func (c *checker) links() (link, mount string) {
	if c.opts.Expect != nil {
		return c.opts.Expect.SymlinkPath, c.opts.Expect.SecretsMountPoint
	}
	return DefaultSymlinkPath, DefaultMountPoint
}

// checkSecretsLink is HC007: /run/secrets a link into the current
// /run/secrets.d/N generation, no half-installed generation beyond it,
// and (without --expect) not empty.
func checkSecretsLink(c *checker) (Result, []fixAction) {
	res := result("HC007", "secrets-link")
	link, mount := c.links()
	res.Hint = "look at the activation log ('journalctl -u sops-install-secrets' or the switch output): one secret that cannot be decrypted aborts them all"
	f, err := c.root.lstat(link)
	if err != nil && c.opts.Expect != nil && len(c.opts.Expect.all()) == 0 {
		res.Message = "no secret expected, and none installed"
		return res, nil
	}
	if err != nil {
		res.problem(Fail, fmt.Sprintf("%s: %s", link, errText(err)))
		res.Message = "no " + link + ": sops-nix has not installed any secret"
		return res, nil
	}
	var gen int64 = -1
	if f.info.Mode()&fs.ModeSymlink == 0 {
		res.problem(Warn, fmt.Sprintf("%s is not a symbolic link into %s/N", link, mount))
	} else {
		gen = c.checkGeneration(&res, f, mount)
	}
	if c.opts.Expect == nil {
		n := c.countFiles(link)
		c.rep.SecretsPresent = n
		if n == 0 {
			res.problem(Fail, link+" holds no secret")
		}
	}
	switch {
	case res.Status == OK && gen >= 0:
		res.Message = fmt.Sprintf("%s → %s/%d, the current generation", link, mount, gen)
		res.Hint = ""
	case res.Status == OK:
		res.Message = link + " is populated"
		res.Hint = ""
	default:
		res.Message = "the secrets sops-nix installs are not in a sound state"
	}
	return res, nil
}

// checkGeneration checks the link's target and the generations beside
// it; it returns the generation number, -1 when the target is not one.
func (c *checker) checkGeneration(res *Result, f file, mount string) int64 {
	target, err := os.Readlink(f.real)
	if err != nil {
		res.problem(Fail, fmt.Sprintf("%s: %s", f.host, errText(err)))
		return -1
	}
	if !path.IsAbs(target) {
		target = path.Join(path.Dir(f.host), target)
	}
	gen, err := strconv.ParseInt(path.Base(target), 10, 64)
	if path.Dir(path.Clean(target)) != path.Clean(mount) || err != nil {
		res.problem(Fail, fmt.Sprintf("%s points to %s, not to a generation %s/N", f.host, target, mount))
		return -1
	}
	if t, err := c.root.stat(target); err != nil || !t.info.IsDir() {
		res.problem(Fail, fmt.Sprintf("%s points to %s, which does not exist", f.host, target))
		return gen
	}
	if newer := c.newerGenerations(mount, gen); len(newer) > 0 {
		res.problem(Warn, fmt.Sprintf("generation %s/%d exists beyond the current %d: an activation stopped half-way", mount, newer[len(newer)-1], gen))
	}
	return gen
}

// newerGenerations lists numbered folders of mount above gen.
func (c *checker) newerGenerations(mount string, gen int64) []int64 {
	m, err := c.root.stat(mount)
	if err != nil {
		return nil
	}
	entries, err := os.ReadDir(m.real)
	if err != nil {
		return nil
	}
	var out []int64
	for _, e := range entries {
		if n, err := strconv.ParseInt(e.Name(), 10, 64); err == nil && n > gen && e.IsDir() {
			out = append(out, n)
		}
	}
	return out
}

// countFiles counts the files under a host folder (links followed for
// the folder itself only).
func (c *checker) countFiles(dir string) int {
	d, err := c.root.stat(dir)
	if err != nil || !d.info.IsDir() {
		return 0
	}
	n := 0
	_ = filepath.WalkDir(d.real, func(_ string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// checkSecretsPresent is HC008: each --expect secret installed.
func checkSecretsPresent(c *checker) (Result, []fixAction) {
	res := result("HC008", "secrets-present")
	if c.opts.Expect == nil {
		res.skip("not checked: pass --expect with sops-nix's manifest")
		return res, nil
	}
	all := c.opts.Expect.all()
	c.rep.SecretsExpected = len(all)
	present := 0
	for _, s := range all {
		if err := c.secretPresent(s); err != nil {
			res.problem(Fail, err.Error())
			continue
		}
		present++
	}
	c.rep.SecretsPresent = present
	res.Message = fmt.Sprintf("%d of %d secret(s) installed", present, len(all))
	if res.Status != OK {
		res.Hint = "redeploy ('nixos-rebuild switch') and read the activation log; a secret the host cannot decrypt stops every secret (check HC006)"
	}
	return res, nil
}

// secretPresent checks one secret: its file in the current generation,
// and its path when that is elsewhere (sops-nix links it there).
func (c *checker) secretPresent(s Secret) error {
	link, _ := c.links()
	f, err := c.root.stat(s.linkPath(link))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: missing", s.linkPath(link))
		}
		return fmt.Errorf("%s: %s", s.linkPath(link), errText(err))
	}
	if !f.info.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", s.linkPath(link))
	}
	if s.Path != s.linkPath(link) {
		p, err := c.root.stat(s.Path)
		if err != nil || p.host != f.host {
			return fmt.Errorf("%s: missing or not linked to %s", s.Path, s.linkPath(link))
		}
	}
	return nil
}
