package cli

import "github.com/spf13/cobra"

// newKeygenCmd is filled in by the agekey work.
func newKeygenCmd(e *env) *cobra.Command {
	return &cobra.Command{Use: "keygen", Short: "Generate an age identity (not yet built)", Hidden: true}
}
