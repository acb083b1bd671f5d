package hostcheck

import (
	"path"
	"slices"
)

// tree is one place sops-nix installs secrets: a link (/run/secrets) to
// the current generation of a mount point (/run/secrets.d/N), and the
// secrets and templates expected there.
type tree struct {
	link, mount string
	secrets     []Secret
}

// trees returns where the checks look for secrets. Without --expect, the
// default /run/secrets; with it, each manifest's link, and the
// neededForUsers secrets of a by-name or array --expect under
// /run/secrets-for-users, where sops-nix installs them.
func (c *checker) trees() []tree {
	if len(c.opts.Expect) == 0 {
		return []tree{{link: DefaultSymlinkPath, mount: DefaultMountPoint}}
	}
	var out []tree
	add := func(link, mount string, secrets []Secret) {
		for i := range out {
			if out[i].link == link {
				out[i].secrets = append(out[i].secrets, secrets...)
				return
			}
		}
		out = append(out, tree{link: link, mount: mount, secrets: secrets})
	}
	for _, m := range c.opts.Expect {
		var own, forUsers []Secret
		for _, s := range m.Secrets {
			if s.NeededForUsers && m.SymlinkPath == DefaultSymlinkPath {
				forUsers = append(forUsers, s)
			} else {
				own = append(own, s)
			}
		}
		add(m.SymlinkPath, m.SecretsMountPoint, append(own, m.Templates...))
		if len(forUsers) > 0 {
			add(ForUsersSymlinkPath, ForUsersMountPoint, forUsers)
		}
	}
	return out
}

// expected counts the secrets and templates of --expect.
func (c *checker) expected() int {
	n := 0
	for _, t := range c.trees() {
		n += len(t.secrets)
	}
	return n
}

// loadedKeyFiles returns the files where sops-nix leaves the age
// identities it gathered at its last activation: age-keys.txt in each
// mount point it uses.
func (c *checker) loadedKeyFiles() []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range c.trees() {
		p := path.Join(t.mount, "age-keys.txt")
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// keysFromManifests fills in the keys sops-nix decrypts with, from the
// manifests, where --key-file and --ssh-key did not name them.
func (o *Options) keysFromManifests() {
	var keyFile string
	var ssh []string
	stated := false
	for _, m := range o.Expect {
		if keyFile == "" {
			keyFile = m.AgeKeyFile
		}
		if m.AgeSSHKeyPaths != nil {
			stated = true
		}
		for _, p := range m.AgeSSHKeyPaths {
			if !slices.Contains(ssh, p) {
				ssh = append(ssh, p)
			}
		}
	}
	if o.KeyFile == "" && keyFile != "" {
		o.KeyFile, o.KeyFileSet = keyFile, true
	}
	if len(o.SSHKeyPaths) == 0 && stated {
		o.SSHKeyPaths = ssh
		o.noSSHKeys = len(ssh) == 0
	}
}
