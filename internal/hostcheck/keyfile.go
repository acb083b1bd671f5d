package hostcheck

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/textutil"
)

// keyFileProblems parses an age key file line by line, as sops reads it,
// and returns its recipients and one problem per bad line. Problems name
// the line, never its text.
func keyFileProblems(data []byte, source string) ([]Recipient, []string) {
	var recs []Recipient
	var probs []string
	ids := 0
	for n, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimSuffix(raw, "\r")
		if n == 0 && strings.HasPrefix(line, "\uFEFF") {
			probs = append(probs, fmt.Sprintf("%s:1: starts with a UTF-8 byte-order mark, which sops and age reject", source))
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, err := agekey.ParseIdentity(line)
		if err != nil {
			probs = append(probs, fmt.Sprintf("%s:%d: %v", source, n+1, err))
			continue
		}
		ids++
		r, err := id.Recipient()
		if err != nil {
			continue // a plugin identity: its recipient is the plugin's to tell
		}
		recs = append(recs, Recipient{Source: source, Kind: "age-key-file", Age: r})
	}
	if ids == 0 && len(probs) == 0 {
		probs = append(probs, fmt.Sprintf("%s: no identity (AGE-SECRET-KEY-1… line)", source))
	}
	return recs, probs
}

// checkKeyFile is HC003: the age key file's format; records its
// recipients and age.
func checkKeyFile(c *checker) (Result, []fixAction) {
	res := result("HC003", "age-key-file")
	c.keyRecipients = nil
	c.rep.KeyFileAge = nil
	p := c.opts.KeyFile
	data, f, err := c.root.readFile(p)
	defer clear(data)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !c.opts.KeyFileSet && len(c.sshRecipients) > 0 {
			res.Message = fmt.Sprintf("no age key file at %s: sops-nix decrypts with the SSH host key", p)
			return res, nil
		}
		res.problem(Fail, fmt.Sprintf("%s: %s", p, textutil.ErrReason(err)))
		res.Message = "the age key file is missing or unreadable"
		res.Hint = "restore it from your backup, or set sops.age.keyFile to where it is; 'keycycle host keygen' makes a new one for a rotation"
		return res, nil
	}
	age := max(c.opts.Now.Sub(f.info.ModTime()), 0)
	c.rep.KeyFileAge = &age
	recs, probs := keyFileProblems(data, p)
	c.keyRecipients = recs
	for _, pr := range probs {
		res.problem(Fail, pr)
	}
	if res.Status != OK {
		res.Message = "the age key file has lines sops cannot read: sops-nix fails on the whole file"
		res.Hint = "fix or remove the named lines (comments start with '#'); never paste a public age1… key there"
		return res, nil
	}
	res.Message = fmt.Sprintf("%s: %d identit%s, valid", p, len(recs), map[bool]string{true: "y", false: "ies"}[len(recs) == 1])
	return res, nil
}

// checkKeyFilePerms is HC004: the key file 0600, owned by root.
func checkKeyFilePerms(c *checker) (Result, []fixAction) {
	res := result("HC004", "age-key-file-perms")
	f, err := c.root.stat(c.opts.KeyFile)
	if err != nil {
		res.skip("no age key file to check (see HC003)")
		return res, nil
	}
	probs, fix := privateKeyPerms(f, c.opts.RootUID)
	if fix == nil {
		res.Message = "age key file mode 0600, owned by root"
		return res, nil
	}
	for _, pr := range probs {
		res.problem(Fail, pr)
	}
	res.Message = "the age key file is readable by others or not owned by root"
	res.Hint = "run 'keycycle host check --fix' (or chmod 0600 and chown root the file)"
	return res, []fixAction{*fix}
}

// leftoverNames are the files a rotation or an editor leaves beside the
// key file: KEY.old, KEY.keycycle-previous, KEY.bak, KEY~ and the like.
func leftoverNames(dir []os.DirEntry, base string) []string {
	var out []string
	for _, e := range dir {
		n := e.Name()
		if n != base && (strings.HasPrefix(n, base+".") || strings.HasPrefix(n, base+"~") ||
			strings.HasPrefix(n, "."+base+".")) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// checkLeftovers is HC005: a key left from an unfinished rotation.
func checkLeftovers(c *checker) (Result, []fixAction) {
	res := result("HC005", "leftover-key")
	dirHost, err := c.root.Resolve(path.Dir(c.opts.KeyFile), true)
	if err != nil {
		res.skip("cannot resolve the key file's folder")
		return res, nil
	}
	entries, err := os.ReadDir(c.root.real(dirHost))
	if err != nil {
		res.skip("no key file folder to look in")
		return res, nil
	}
	var fixes []fixAction
	for _, n := range leftoverNames(entries, path.Base(c.opts.KeyFile)) {
		f, err := c.root.lstat(path.Join(dirHost, n))
		if err != nil || !f.info.Mode().IsRegular() {
			continue
		}
		res.problem(Warn, fmt.Sprintf("%s: left beside the key file (modified %s)", f.host, f.info.ModTime().UTC().Format(time.DateOnly)))
		probs, fix := privateKeyPerms(f, c.opts.RootUID)
		for _, pr := range probs {
			res.problem(Fail, pr)
		}
		if fix != nil {
			fixes = append(fixes, *fix)
		}
	}
	if len(res.Details) == 0 {
		res.Message = "no key left from an unfinished rotation"
		return res, nil
	}
	res.Message = "a key file is left from an unfinished rotation or a manual edit"
	res.Hint = "finish or abort the rotation ('keycycle rotate status'); once the new key decrypts everything, delete the old file (a leftover key still decrypts what its recipient can)"
	return res, fixes
}

// checkKeyAge is HC011: the key file's age against --max-key-age.
func checkKeyAge(c *checker) (Result, []fixAction) {
	res := result("HC011", "key-age")
	if c.rep.KeyFileAge == nil {
		res.skip("no age key file")
		return res, nil
	}
	days := int(c.rep.KeyFileAge.Hours() / 24)
	res.Message = fmt.Sprintf("the age key file was last changed %d day(s) ago", days)
	if c.opts.MaxKeyAge > 0 && *c.rep.KeyFileAge > c.opts.MaxKeyAge {
		res.problem(Warn, fmt.Sprintf("older than the %d day(s) allowed", int(c.opts.MaxKeyAge.Hours()/24)))
		res.Hint = "rotate it: 'keycycle rotate start HOST' from the secrets repository"
	}
	return res, nil
}
