package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/keycycle/keycycle/internal/fsutil"
	"github.com/keycycle/keycycle/internal/hostcheck"
	"github.com/keycycle/keycycle/internal/textutil"
)

type hostUnitsOptions struct {
	unit hostcheck.UnitOptions
	dir  string
}

func newHostUnitsCmd(e *env) *cobra.Command {
	opts := &hostUnitsOptions{}
	cmd := &cobra.Command{
		Use:   "units",
		Short: "Print systemd units that run 'host check' daily (hosts without NixOS)",
		Long: `Host units prints a oneshot keycycle-check.service that runs
'keycycle host check' (after sops-install-secrets.service when there is
one) and a keycycle-check.timer that runs it daily: what the NixOS module's
services.keycycle.verify and rotationCheck do, for other hosts.

With --dir DIR the units are written there instead (atomically); then run
  systemctl daemon-reload && systemctl enable --now keycycle-check.timer`,
		Example: `  keycycle host units --metrics-dir /var/lib/prometheus/node-exporter
  keycycle host units --dir /etc/systemd/system --max-key-age 90d`,
		Args: argsHint(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHostUnits(cmd.Context(), opts, e.stdout, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.unit.Binary, "keycycle", "/usr/local/bin/keycycle", "absolute path of keycycle on the host")
	f.StringVar(&opts.unit.Expect, "expect", "", "manifest to pass to 'host check --expect'")
	f.StringVar(&opts.unit.MetricsDir, "metrics-dir", "", "node_exporter textfile folder for keycycle.prom")
	f.StringVar(&opts.unit.MaxKeyAge, "max-key-age", "", "warn when the key file is older: a number followed by h, d, w or y (90d, 1y)")
	f.StringVar(&opts.unit.Calendar, "on-calendar", "daily", "when the timer runs (systemd OnCalendar)")
	f.StringVar(&opts.dir, "dir", "", "write the units into this folder instead of printing them")
	return cmd
}

func runHostUnits(_ context.Context, opts *hostUnitsOptions, out io.Writer, _ []string) error {
	units, err := hostcheck.Units(opts.unit)
	if err != nil {
		return textutil.WithHint(err, "pass absolute paths to --keycycle, --expect and --metrics-dir")
	}
	for i, u := range units {
		if opts.dir != "" {
			p := filepath.Join(opts.dir, u.Name)
			if err := fsutil.WriteFileAtomic(p, []byte(u.Content), 0o644); err != nil {
				return errorf("pass a writable folder to --dir", "%v", err)
			}
			fmt.Fprintf(out, "wrote %s\n", p)
			continue
		}
		if i > 0 {
			fmt.Fprintln(out)
		}
		fmt.Fprintf(out, "# /etc/systemd/system/%s\n%s", u.Name, u.Content)
	}
	if opts.dir != "" {
		fmt.Fprintln(out, "now: systemctl daemon-reload && systemctl enable --now keycycle-check.timer")
	}
	return nil
}
