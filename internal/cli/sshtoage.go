package cli

import "github.com/spf13/cobra"

// newSSHToAgeCmd is filled in by the agekey work.
func newSSHToAgeCmd(e *env) *cobra.Command {
	return &cobra.Command{Use: "ssh-to-age", Short: "Convert an OpenSSH ed25519 key to age (not yet built)", Hidden: true}
}
