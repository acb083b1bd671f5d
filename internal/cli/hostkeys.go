package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/fsutil"
	"github.com/keycycle/keycycle/internal/secret"
)

// hostKeySource says where host add takes the host's key from; exactly
// one field is set.
type hostKeySource struct {
	age       string
	sshPubkey string
	keyscan   string
	newSSHKey string
	persist   bool
	// comment ends a generated SSH public key (root@NAME).
	comment string
}

// check requires exactly one source of the key.
func (s hostKeySource) check(cmd string) error {
	switch s.count() {
	case 0:
		return errorf("pass one of --ssh-pubkey FILE, --ssh-keyscan ADDR, --age RECIPIENT, --new-ssh-key DIR",
			"%s needs the host's key", cmd)
	case 1:
		return nil
	}
	return errorf("give only one of --ssh-pubkey, --ssh-keyscan, --age, --new-ssh-key",
		"%s takes the host's key from one place, and %d were given", cmd, s.count())
}

func (s hostKeySource) count() int {
	n := 0
	for _, v := range []string{s.age, s.sshPubkey, s.keyscan, s.newSSHKey} {
		if v != "" {
			n++
		}
	}
	return n
}

// hostKey is a host's key as host add found or made it.
type hostKey struct {
	recipient string
	// private and public are set for a key made with --new-ssh-key; they
	// are written only when the change is applied.
	private []byte
	public  []byte
}

// resolve returns the host's age recipient; with --new-ssh-key it makes
// the key pair in memory.
func (s hostKeySource) resolve(ctx context.Context) (*hostKey, error) {
	switch {
	case s.age != "":
		r, err := agekey.ParseRecipient(s.age)
		if err != nil {
			return nil, errorf("pass the age1… recipient of the host, e.g. from 'keycycle ssh-to-age'", "--age: %v", err)
		}
		return &hostKey{recipient: r.String}, nil
	case s.sshPubkey != "":
		data, err := os.ReadFile(s.sshPubkey)
		if err != nil {
			return nil, errorf("pass the host's /etc/ssh/ssh_host_ed25519_key.pub", "--ssh-pubkey: %v", err)
		}
		r, err := firstEd25519(data, "--ssh-pubkey "+s.sshPubkey)
		return &hostKey{recipient: r}, err
	case s.keyscan != "":
		r, err := keyscan(ctx, s.keyscan)
		return &hostKey{recipient: r}, err
	default:
		return newHostKey(s.comment)
	}
}

func firstEd25519(data []byte, what string) (string, error) {
	conv, err := agekey.SSHPublicKeysToAge(data)
	if err != nil || len(conv) == 0 {
		return "", errorf("the host needs an ed25519 host key: sops-nix converts only those",
			"%s: no ssh-ed25519 key found", what)
	}
	return conv[0].Recipient, nil
}

// keyscan asks the host for its ed25519 key with the system ssh-keyscan.
func keyscan(ctx context.Context, addr string) (string, error) {
	host, port := addr, ""
	if h, p, err := net.SplitHostPort(addr); err == nil {
		host, port = h, p
	}
	args := []string{"-T", "10", "-t", "ed25519"}
	if port != "" {
		args = append(args, "-p", port)
	}
	out, err := exec.CommandContext(ctx, "ssh-keyscan", append(args, host)...).Output()
	if err != nil && len(out) == 0 {
		return "", errorf("check that the host is up and sshd listens there, or use --ssh-pubkey FILE",
			"ssh-keyscan %s: %v", addr, err)
	}
	return firstEd25519(out, "ssh-keyscan "+addr)
}

// newHostKey makes an ed25519 SSH key pair in memory; the public key
// ends with comment (root@NAME, as ssh-keygen -A writes it on the host).
func newHostKey(comment string) (*hostKey, error) {
	private, authorized, err := secret.SSHEd25519(comment)
	if err != nil {
		return nil, err
	}
	recipient, err := agekey.SSHPublicToAge(authorized)
	if err != nil {
		return nil, err
	}
	return &hostKey{recipient: recipient, private: private, public: authorized}, nil
}

// write puts the key pair under DIR/etc/ssh (or DIR/persist/etc/ssh),
// laid out for 'nixos-anywhere --extra-files DIR': the private key
// O_EXCL 0600, the public key 0644, and the folders keycycle creates 0755
// whatever the umask, since nixos-anywhere copies DIR with its modes
// (tar -p) onto the new host's /, /etc and /etc/ssh.
func (k *hostKey) write(dir string, persist bool) error {
	sub := []string{"etc", "ssh"}
	if persist {
		sub = append([]string{"persist"}, sub...)
	}
	sshDir := filepath.Join(append([]string{dir}, sub...)...)
	if err := mkdirPublic(dir, sub); err != nil {
		return errorf("pick a --new-ssh-key folder you can write to", "%v", err)
	}
	keyPath := filepath.Join(sshDir, "ssh_host_ed25519_key")
	if err := fsutil.WriteNewPrivate(keyPath, k.private); err != nil {
		return errorf("pick an empty --new-ssh-key folder", "%v", err)
	}
	return fsutil.WriteFileAtomic(keyPath+".pub", k.public, 0o644)
}

// mkdirPublic creates dir and the folders sub below it that are missing,
// mode 0755 (chmod after mkdir: the umask does not narrow them). Folders
// that exist are left as they are.
func mkdirPublic(dir string, sub []string) error {
	p := dir
	for i := 0; i <= len(sub); i++ {
		if i > 0 {
			p = filepath.Join(p, sub[i-1])
		}
		err := os.Mkdir(p, 0o755)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		if err := os.Chmod(p, 0o755); err != nil {
			return err
		}
	}
	return nil
}

func newSSHKeyNote(dir string, persist bool) string {
	sub := "etc/ssh"
	if persist {
		sub = "persist/etc/ssh"
	}
	dir = strings.TrimSuffix(dir, "/")
	note := fmt.Sprintf("host key written to %s; install with: nixos-anywhere --extra-files %s …\n"+
		"after the install, delete %s (rm -r %s): it holds the host's private SSH key, which only the host should keep",
		filepath.Join(dir, sub, "ssh_host_ed25519_key"), dir, dir, dir)
	// nixos-anywhere gives / the folder's own mode: a 0700 folder (mktemp
	// -d makes one) would lock every user out of the new host's /.
	if st, err := os.Stat(dir); err == nil && st.Mode().Perm()&0o055 != 0o055 {
		note += fmt.Sprintf("\nnote: %s has mode %04o, and nixos-anywhere gives the new host's / that mode: run 'chmod 755 %s' first",
			dir, st.Mode().Perm(), dir)
	}
	return note
}
