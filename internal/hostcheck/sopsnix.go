package hostcheck

import (
	"errors"
	"fmt"
	"io/fs"
)

// SopsNixKeys is where sops-nix leaves the age identities it gathered at
// its last activation: sops.age.keyFile's, and one per sops.age.sshKeyPaths
// key (ssh-to-age). It is what sops-nix really decrypts with.
const SopsNixKeys = "/run/secrets.d/age-keys.txt"

// checkSopsNixLoaded is HC013: the age key file's identities are among
// those sops-nix loaded at its last activation. When they are not,
// sops-nix does not read the key file (sops.age.keyFile unset or another
// path), or the host was not activated since the key file changed: a
// rotation that trusted the key file would lock the host out.
func checkSopsNixLoaded(c *checker) (Result, []fixAction) {
	res := result("HC013", "sops-nix-loaded")
	if len(c.keyRecipients) == 0 {
		res.skip("no age key file to compare")
		return res, nil
	}
	data, _, err := c.root.readFile(SopsNixKeys)
	defer clear(data)
	if errors.Is(err, fs.ErrNotExist) {
		res.skip("no " + SopsNixKeys + ": sops-nix has not activated on this host")
		return res, nil
	}
	if err != nil {
		res.problem(Warn, fmt.Sprintf("%s: %s", SopsNixKeys, errText(err)))
		res.Message = "cannot read what sops-nix loaded at its last activation"
		return res, nil
	}
	loaded, _ := keyFileProblems(data, SopsNixKeys)
	have := map[string]bool{}
	for _, r := range loaded {
		have[r.Age] = true
	}
	for _, r := range c.keyRecipients {
		if !have[r.Age] {
			res.problem(Warn, fmt.Sprintf("%s (from %s) is not among the keys sops-nix loaded", r.Age, r.Source))
		}
	}
	if res.Status != OK {
		res.Message = "sops-nix did not load the age key file at its last activation"
		res.Hint = "set sops.age.keyFile to " + c.opts.KeyFile + " and deploy again; until then sops-nix decrypts only with what it loaded, and a rotation of this key stops at verification"
		return res, nil
	}
	res.Message = "sops-nix loaded the age key file at its last activation"
	return res, nil
}
