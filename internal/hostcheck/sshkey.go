package hostcheck

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/textutil"
)

// checkSSHKeys is HC001: every SSH host key present and a valid ed25519
// private key; records the host's recipients.
func checkSSHKeys(c *checker) (Result, []fixAction) {
	res := result("HC001", "ssh-host-key")
	c.sshRecipients = nil
	if len(c.opts.SSHKeyPaths) == 0 {
		res.skip("sops-nix uses no SSH host key (the manifest's ageSshKeyPaths is empty)")
		return res, nil
	}
	for _, p := range c.opts.SSHKeyPaths {
		rec, err := c.sshRecipient(p)
		if err != nil {
			res.problem(Fail, err.Error())
			continue
		}
		c.sshRecipients = append(c.sshRecipients, rec)
	}
	if res.Status == OK {
		res.Message = fmt.Sprintf("%d ed25519 host key(s): %s", len(c.sshRecipients), strings.Join(c.opts.SSHKeyPaths, ", "))
		return res, nil
	}
	res.Message = "an SSH host key sops-nix decrypts with is missing or unusable"
	res.Hint = "sops-nix needs an ed25519 host key: 'ssh-keygen -A' (or services.openssh.hostKeys with type ed25519) creates it; then register it with 'keycycle host add NAME --ssh-pubkey " + DefaultSSHKey + ".pub'"
	if rsaOnly(c) {
		res.Hint = "this host has only RSA (or other non-ed25519) host keys, and ssh-to-age converts ed25519 only: " + res.Hint
	}
	return res, nil
}

// sshRecipient reads one SSH host key and derives its recipients.
func (c *checker) sshRecipient(p string) (Recipient, error) {
	data, f, err := c.root.readFile(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Recipient{}, fmt.Errorf("%s: missing", p)
		}
		return Recipient{}, fmt.Errorf("%s: cannot read: %s", p, textutil.ErrReason(err))
	}
	defer clear(data)
	key, err := ssh.ParseRawPrivateKey(data)
	if err != nil {
		var pm *ssh.PassphraseMissingError
		if errors.As(err, &pm) {
			return Recipient{}, fmt.Errorf("%s: encrypted with a passphrase; sops-nix cannot use it", p)
		}
		return Recipient{}, fmt.Errorf("%s: not an SSH private key", p)
	}
	var pub ed25519.PublicKey
	switch k := key.(type) {
	case *ed25519.PrivateKey:
		pub = k.Public().(ed25519.PublicKey)
	case ed25519.PrivateKey:
		pub = k.Public().(ed25519.PublicKey)
	default:
		return Recipient{}, fmt.Errorf("%s: a %s key, not ed25519; ssh-to-age converts ed25519 only", p, keyTypeName(key))
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		return Recipient{}, fmt.Errorf("%s: %v", p, err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp)))
	ageRec, err := agekey.SSHPublicToAge([]byte(line))
	if err != nil {
		return Recipient{}, fmt.Errorf("%s: %v", p, err)
	}
	return Recipient{Source: f.host, Kind: "ssh-host-key", Age: ageRec, SSH: line}, nil
}

func keyTypeName(key any) string {
	t := fmt.Sprintf("%T", key)
	switch {
	case strings.Contains(t, "rsa"):
		return "RSA"
	case strings.Contains(t, "ecdsa"):
		return "ECDSA"
	case strings.Contains(t, "dsa"):
		return "DSA"
	}
	return strings.TrimPrefix(t, "*")
}

// rsaOnly tells whether the host has SSH host keys, none ed25519.
func rsaOnly(c *checker) bool {
	for _, name := range []string{"ssh_host_rsa_key", "ssh_host_ecdsa_key"} {
		if _, err := c.root.stat("/etc/ssh/" + name); err == nil {
			if _, err := c.root.stat("/etc/ssh/ssh_host_ed25519_key"); err != nil {
				return true
			}
		}
	}
	return false
}

// checkSSHKeyPerms is HC002: each present host key 0600, owned by root.
func checkSSHKeyPerms(c *checker) (Result, []fixAction) {
	res := result("HC002", "ssh-host-key-perms")
	var fixes []fixAction
	n := 0
	for _, p := range c.opts.SSHKeyPaths {
		f, err := c.root.stat(p)
		if err != nil {
			continue
		}
		n++
		probs, fix := privateKeyPerms(f, c.opts.RootUID)
		for _, pr := range probs {
			res.problem(Fail, pr)
		}
		if fix != nil {
			fixes = append(fixes, *fix)
		}
	}
	switch {
	case n == 0:
		res.skip("no SSH host key to check (see HC001)")
	case res.Status == OK:
		res.Message = "SSH host key(s) mode 0600, owned by root"
	default:
		res.Message = "an SSH host key is readable by others or not owned by root"
		res.Hint = "run 'keycycle host check --fix' (or chmod 0600 and chown root the key)"
	}
	return res, fixes
}
