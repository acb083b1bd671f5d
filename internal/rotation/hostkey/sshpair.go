package hostkey

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/fsutil"
	"github.com/keycycle/keycycle/internal/secret"
	"github.com/keycycle/keycycle/internal/textutil"
)

// SSHPair is a host's key as host add found or made it: its age
// recipient, and for a key made here the SSH key pair, in memory until
// the change is applied.
type SSHPair struct {
	Recipient string
	// Private and Public are set for a key made by NewSSHPair.
	Private, Public []byte
}

// NewSSHPair makes an ed25519 SSH key pair in memory; the public key
// ends with comment (root@NAME, as ssh-keygen -A writes it on the host).
func NewSSHPair(comment string) (*SSHPair, error) {
	private, authorized, err := secret.SSHEd25519(comment)
	if err != nil {
		return nil, err
	}
	recipient, err := agekey.SSHPublicToAge(authorized)
	if err != nil {
		return nil, err
	}
	return &SSHPair{Recipient: recipient, Private: private, Public: authorized}, nil
}

// WriteExtraFiles puts the key pair under DIR/etc/ssh (or
// DIR/persist/etc/ssh), laid out for 'nixos-anywhere --extra-files DIR':
// the private key O_EXCL 0600, the public key 0644, and the folders it
// creates 0755 whatever the umask, since nixos-anywhere copies DIR with
// its modes (tar -p) onto the new host's /, /etc and /etc/ssh.
func (k *SSHPair) WriteExtraFiles(dir string, persist bool) error {
	sub := []string{"etc", "ssh"}
	if persist {
		sub = append([]string{"persist"}, sub...)
	}
	sshDir := filepath.Join(append([]string{dir}, sub...)...)
	if err := mkdirPublic(dir, sub); err != nil {
		return textutil.Hintf("pick a --new-ssh-key folder you can write to", "%v", err)
	}
	keyPath := filepath.Join(sshDir, "ssh_host_ed25519_key")
	if err := fsutil.WriteNewPrivate(keyPath, k.Private); err != nil {
		return textutil.Hintf("pick an empty --new-ssh-key folder", "%v", err)
	}
	return fsutil.WriteFileAtomic(keyPath+".pub", k.Public, 0o644)
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

// ExtraFilesNote tells where WriteExtraFiles put the key, how to install
// it with nixos-anywhere and to delete it after; and warns when dir's
// mode would become the new host's /.
func ExtraFilesNote(dir string, persist bool) string {
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
