package hostcheck

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/keycycle/keycycle/internal/textutil"
)

// SopsNixKeys is where sops-nix leaves the age identities it gathered at
// its last activation: sops.age.keyFile's, and one per sops.age.sshKeyPaths
// key (ssh-to-age). It is what sops-nix really decrypts with. It lies in
// the manifest's secretsMountPoint (this is the default one); the
// neededForUsers secrets have their own, in /run/secrets-for-users.d.
const SopsNixKeys = DefaultMountPoint + "/age-keys.txt"

// checkSopsNixLoaded is HC013: the age key file's identities are among
// those sops-nix loaded at its last activation, in each mount point of
// the manifests (/run/secrets.d/age-keys.txt by default). When they are
// not, sops-nix does not read the key file (sops.age.keyFile unset or
// another path), or the host was not activated since the key file
// changed: a rotation that trusted the key file would lock the host out.
func checkSopsNixLoaded(c *checker) (Result, []fixAction) {
	res := result("HC013", "sops-nix-loaded")
	if len(c.keyRecipients) == 0 {
		res.skip("no age key file to compare")
		return res, nil
	}
	var read []string
	for _, p := range c.loadedKeyFiles() {
		ok, err := c.compareLoaded(&res, p)
		if err != nil {
			res.problem(Warn, fmt.Sprintf("%s: %s", p, textutil.ErrReason(err)))
		}
		if ok {
			read = append(read, p)
		}
	}
	if len(read) == 0 && res.Status == OK {
		res.skip("no " + strings.Join(c.loadedKeyFiles(), " or ") + ": sops-nix has not activated on this host")
		return res, nil
	}
	if res.Status != OK {
		res.Message = "sops-nix did not load the age key file at its last activation"
		res.Hint = "set sops.age.keyFile to " + c.opts.KeyFile + " and deploy again; until then sops-nix decrypts only with what it loaded, and a rotation of this key stops at verification"
		return res, nil
	}
	res.Message = "sops-nix loaded the age key file at its last activation (" + strings.Join(read, ", ") + ")"
	return res, nil
}

// compareLoaded checks the key file's identities are in one age-keys.txt;
// false when that file does not exist.
func (c *checker) compareLoaded(res *Result, p string) (bool, error) {
	data, _, err := c.root.readFile(p)
	defer clear(data)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	loaded, _ := keyFileProblems(data, p)
	have := map[string]bool{}
	for _, r := range loaded {
		have[r.Age] = true
	}
	for _, r := range c.keyRecipients {
		if !have[r.Age] {
			res.problem(Warn, fmt.Sprintf("%s (from %s) is not among the keys sops-nix loaded in %s", r.Age, r.Source, p))
		}
	}
	return true, nil
}
