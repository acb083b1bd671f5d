package hostkey

import (
	"context"
	"os"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/textutil"
	"github.com/keycycle/keycycle/internal/transport"
)

// Source says where host add and host set-key take the host's key from:
// exactly one of Age, SSHPubkey, Keyscan and NewSSHKey is set.
type Source struct {
	// Age is the host's age1… recipient (--age).
	Age string
	// SSHPubkey is a file holding the host's ssh-ed25519 public key
	// (--ssh-pubkey).
	SSHPubkey string
	// Keyscan is the address ssh-keyscan reads the host key from
	// (--ssh-keyscan).
	Keyscan string
	// NewSSHKey is the folder a new SSH key pair is laid out in for
	// nixos-anywhere (--new-ssh-key), Persist under persist/ there.
	NewSSHKey string
	Persist   bool
	// Comment ends a generated SSH public key (root@NAME).
	Comment string
}

// Check requires exactly one source of the key; cmd names the command
// in the message.
func (s Source) Check(cmd string) error {
	switch s.count() {
	case 0:
		return textutil.Hintf("pass one of --ssh-pubkey FILE, --ssh-keyscan ADDR, --age RECIPIENT, --new-ssh-key DIR",
			"%s needs the host's key", cmd)
	case 1:
		return nil
	}
	return textutil.Hintf("give only one of --ssh-pubkey, --ssh-keyscan, --age, --new-ssh-key",
		"%s takes the host's key from one place, and %d were given", cmd, s.count())
}

func (s Source) count() int {
	n := 0
	for _, v := range []string{s.Age, s.SSHPubkey, s.Keyscan, s.NewSSHKey} {
		if v != "" {
			n++
		}
	}
	return n
}

// Resolve returns the host's age recipient; for NewSSHKey it makes the
// key pair in memory.
func (s Source) Resolve(ctx context.Context) (*SSHPair, error) {
	switch {
	case s.Age != "":
		r, err := agekey.ParseRecipient(s.Age)
		if err != nil {
			return nil, textutil.Hintf("pass the age1… recipient of the host, e.g. from 'keycycle ssh-to-age'", "--age: %v", err)
		}
		return &SSHPair{Recipient: r.String}, nil
	case s.SSHPubkey != "":
		data, err := os.ReadFile(s.SSHPubkey)
		if err != nil {
			return nil, textutil.Hintf("pass the host's /etc/ssh/ssh_host_ed25519_key.pub", "--ssh-pubkey: %v", err)
		}
		r, err := agekey.FirstEd25519Recipient(data, "--ssh-pubkey "+s.SSHPubkey)
		return &SSHPair{Recipient: r}, err
	case s.Keyscan != "":
		out, err := transport.Keyscan(ctx, s.Keyscan)
		if err != nil {
			return nil, err
		}
		r, err := agekey.FirstEd25519Recipient(out, "ssh-keyscan "+s.Keyscan)
		return &SSHPair{Recipient: r}, err
	default:
		return NewSSHPair(s.Comment)
	}
}
