package hostcheck

import (
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/keycycle/keycycle/internal/textutil"
)

// UserKeyPath is where sops looks for a user's age keys, relative to
// the home directory.
const UserKeyPath = ".config/sops/age/keys.txt"

// checkUserKey is HC010: --user's ~/.config/sops/age/keys.txt, its
// format, mode and owner.
func checkUserKey(c *checker) (Result, []fixAction) {
	res := result("HC010", "user-age-key")
	if c.opts.User == "" {
		res.skip("not checked: pass --user NAME")
		return res, nil
	}
	u, ok := c.root.accounts("/etc/passwd")[c.opts.User]
	if !ok || u.home == "" {
		res.problem(Fail, fmt.Sprintf("user %s is not in /etc/passwd", c.opts.User))
		res.Message = "cannot find the user's home"
		res.Hint = "pass the login name of a user of this host"
		return res, nil
	}
	p := path.Join(u.home, UserKeyPath)
	data, f, err := c.root.readFile(p)
	defer clear(data)
	if err != nil {
		res.problem(Fail, fmt.Sprintf("%s: %s", p, textutil.ErrReason(err)))
		res.Message = "the user's age key file is missing or unreadable"
		res.Hint = "restore it from your backup, or make one with 'keycycle keygen -o " + p + "' and register it with 'keycycle user add'"
		if errors.Is(err, fs.ErrNotExist) {
			res.Message = "the user has no age key file"
		}
		return res, nil
	}
	_, probs := keyFileProblems(data, p)
	for _, pr := range probs {
		res.problem(Fail, pr)
	}
	permProbs, fix := privateKeyPerms(f, u.id)
	for _, pr := range permProbs {
		res.problem(Fail, pr)
	}
	if res.Status == OK {
		res.Message = p + ": valid, mode 0600, owned by " + c.opts.User
		return res, nil
	}
	res.Message = "the user's age key file is malformed, readable by others, or owned by someone else"
	res.Hint = "fix the named lines by hand; 'keycycle host check --user " + c.opts.User + " --fix' repairs mode and owner"
	if fix == nil {
		return res, nil
	}
	return res, []fixAction{*fix}
}
