package cli

import (
	"context"
	"os"

	"github.com/keycycle/keycycle/internal/agekey"
	"github.com/keycycle/keycycle/internal/rotation/hostkey"
	"github.com/keycycle/keycycle/internal/transport"
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

// resolve returns the host's age recipient; with --new-ssh-key it makes
// the key pair in memory.
func (s hostKeySource) resolve(ctx context.Context) (*hostkey.SSHPair, error) {
	switch {
	case s.age != "":
		r, err := agekey.ParseRecipient(s.age)
		if err != nil {
			return nil, errorf("pass the age1… recipient of the host, e.g. from 'keycycle ssh-to-age'", "--age: %v", err)
		}
		return &hostkey.SSHPair{Recipient: r.String}, nil
	case s.sshPubkey != "":
		data, err := os.ReadFile(s.sshPubkey)
		if err != nil {
			return nil, errorf("pass the host's /etc/ssh/ssh_host_ed25519_key.pub", "--ssh-pubkey: %v", err)
		}
		r, err := agekey.FirstEd25519Recipient(data, "--ssh-pubkey "+s.sshPubkey)
		return &hostkey.SSHPair{Recipient: r}, err
	case s.keyscan != "":
		out, err := transport.Keyscan(ctx, s.keyscan)
		if err != nil {
			return nil, err
		}
		r, err := agekey.FirstEd25519Recipient(out, "ssh-keyscan "+s.keyscan)
		return &hostkey.SSHPair{Recipient: r}, err
	default:
		return hostkey.NewSSHPair(s.comment)
	}
}
