package hostcheck

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/keycycle/keycycle/internal/textutil"
)

// checkSecretsLink is HC007: each link sops-nix installs (/run/secrets,
// and /run/secrets-for-users when neededForUsers secrets are expected) a
// link into the current generation of its mount point, no half-installed
// generation beyond it, and (without --expect) not empty.
func checkSecretsLink(c *checker) (Result, []fixAction) {
	res := result("HC007", "secrets-link")
	var msgs []string
	for _, t := range c.trees() {
		msgs = append(msgs, c.checkTreeLink(&res, t))
	}
	if res.Status == OK {
		res.Message = strings.Join(msgs, "; ")
		return res, nil
	}
	res.Message = "the secrets sops-nix installs are not in a sound state"
	res.Hint = "look at the activation log ('journalctl -u sops-install-secrets' or the switch output): one secret that cannot be decrypted aborts them all"
	return res, nil
}

// checkTreeLink checks one link and returns what it found, for the
// message when all is well.
func (c *checker) checkTreeLink(res *Result, t tree) string {
	f, err := c.root.lstat(t.link)
	if err != nil && len(c.opts.Expect) > 0 && len(t.secrets) == 0 {
		return "no secret expected in " + t.link + ", and none installed"
	}
	if err != nil {
		res.problem(Fail, fmt.Sprintf("%s: %s", t.link, textutil.ErrReason(err)))
		return ""
	}
	var gen int64 = -1
	if f.info.Mode()&fs.ModeSymlink == 0 {
		res.problem(Warn, fmt.Sprintf("%s is not a symbolic link into %s/N", t.link, t.mount))
	} else {
		gen = c.checkGeneration(res, f, t.mount)
	}
	if len(c.opts.Expect) == 0 {
		n := c.countFiles(t.link)
		c.rep.SecretsPresent = n
		if n == 0 {
			res.problem(Fail, t.link+" holds no secret")
		}
	}
	if gen >= 0 {
		return fmt.Sprintf("%s → %s/%d, the current generation", t.link, t.mount, gen)
	}
	return t.link + " is populated"
}

// checkGeneration checks the link's target and the generations beside
// it; it returns the generation number, -1 when the target is not one.
func (c *checker) checkGeneration(res *Result, f file, mount string) int64 {
	target, err := os.Readlink(f.real)
	if err != nil {
		res.problem(Fail, fmt.Sprintf("%s: %s", f.host, textutil.ErrReason(err)))
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
	if len(c.opts.Expect) == 0 {
		res.skip("not checked: pass --expect with sops-nix's manifest")
		return res, nil
	}
	expected, present := c.expected(), 0
	c.rep.SecretsExpected = expected
	for _, t := range c.trees() {
		for _, s := range t.secrets {
			if err := c.secretPresent(s, t.link); err != nil {
				res.problem(Fail, err.Error())
				continue
			}
			present++
		}
	}
	c.rep.SecretsPresent = present
	res.Message = fmt.Sprintf("%d of %d secret(s) installed", present, expected)
	if res.Status != OK {
		res.Hint = "redeploy ('nixos-rebuild switch') and read the activation log; a secret the host cannot decrypt stops every secret (check HC006)"
	}
	return res, nil
}

// secretPresent checks one secret: its file in the current generation
// under link, and its path when that is elsewhere (sops-nix links it
// there).
func (c *checker) secretPresent(s Secret, link string) error {
	f, err := c.root.stat(s.linkPath(link))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: missing", s.linkPath(link))
		}
		return fmt.Errorf("%s: %s", s.linkPath(link), textutil.ErrReason(err))
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
