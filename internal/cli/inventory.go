package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/inventory"
	"github.com/keycycle/keycycle/internal/policy"
)

type inventoryOptions struct {
	repo    string
	format  string
	exclude []string
	asOf    string
}

func newInventoryCmd(e *env) *cobra.Command {
	opts := &inventoryOptions{}
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "Show who can decrypt what: every key and the files × keys access matrix",
		Long: `Inventory lists every key of the secrets repository and which files each
one can decrypt. It needs no private key: recipients are plaintext in sops
files.

Keys are the anchors under keys: in .sops.yaml, keys written inline in a
creation rule, and recipients found only in files' metadata (status
"unlisted": .sops.yaml does not name them, yet they can decrypt). Each has
a type (x25519, pq, plugin, ssh-ed25519, ssh-rsa, pgp, kms, …), the number
of files it can decrypt today and of files its rules want, and a kind
guessed from its group under keys: (hosts, users, admins, backups), else
from its name: host when sops/NAME.yaml exists or a path_regex names it,
user for user_host names (rain_griefling), admin or backup when the name
says so, else unknown.

The matrix has one row per secrets file and one numbered column per key:
  ●  the file is encrypted for the key, as its rule wants
  +  extra: encrypted for the key, the rule does not want it; the key can
     still decrypt the file until it is rekeyed ('keycycle rekey FILE')
  -  missing: the rule wants the key, the file is not encrypted for it
     until it is rekeyed
  ·  no access
  ○  encrypted for the key, but no usable rule to compare with
Each row has a status: ok, drift (a + or a -), no-rule, rule-error,
plaintext (a rule matches, the file is not encrypted) or unreadable.

--format json writes the keycycle.inventory/v1 document (docs/inventory.md);
dot and mermaid write a graph of keys → files (dashed red: extra, dotted:
missing) for Graphviz or Markdown.

Inventory reports; it does not judge: it exits 0 whatever it shows (see
'keycycle check' for a verdict), 2 when it cannot run.`,
		Example: `  keycycle inventory
  keycycle inventory --repo ~/nix-secrets
  keycycle inventory --format json | jq '.files[] | select(.status == "drift")'
  keycycle inventory --format dot | dot -Tsvg > access.svg
  keycycle inventory --format mermaid --exclude 'legacy/*'`,
		Args: argsHint(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInventory(cmd.Context(), opts, e.stdout, args)
		},
	}
	f := cmd.Flags()
	repoFlag(cmd, &opts.repo)
	formatFlag(cmd, &opts.format, "table", "json", "dot", "mermaid")
	f.StringArrayVar(&opts.exclude, "exclude", nil, "leave out files matching `GLOB` (path or name; repeatable)")
	f.StringVar(&opts.asOf, "as-of", "", "key ages at this date (2006-01-02 or RFC 3339) instead of now")
	return cmd
}

func runInventory(ctx context.Context, opts *inventoryOptions, out io.Writer, args []string) error {
	r, err := loadRepo(ctx, opts.repo, opts.exclude)
	if err != nil {
		return err
	}
	now, err := policy.AsOf(opts.asOf)
	if err != nil {
		return err
	}
	inv := inventory.BuildAt(r, now)
	return inventory.Write(out, inv, opts.format, inventory.TableOptions{Paint: styleFor(out).mark})
}
