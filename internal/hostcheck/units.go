package hostcheck

import (
	"fmt"
	"path"
	"strings"
)

// UnitOptions shapes the systemd units of `keycycle host units`.
type UnitOptions struct {
	// Binary is the absolute path of keycycle on the host.
	Binary string
	// Expect is the manifest to pass to --expect ("" for none).
	Expect string
	// MetricsDir is node_exporter's textfile folder ("" for none).
	MetricsDir string
	// MaxKeyAge is passed to --max-key-age ("" for none).
	MaxKeyAge string
	// Calendar is the timer's OnCalendar (default "daily").
	Calendar string
}

// Unit is one systemd unit file.
type Unit struct {
	Name    string
	Content string
}

// Units returns a oneshot keycycle-check.service and a timer that runs it
// daily, the equivalent of the NixOS module's verify service and
// rotation check for hosts without NixOS.
func Units(o UnitOptions) ([]Unit, error) {
	if o.MaxKeyAge != "" {
		if _, err := ParseMaxKeyAge(o.MaxKeyAge); err != nil {
			return nil, err
		}
	}
	for _, p := range []string{o.Binary, o.Expect, o.MetricsDir} {
		if p != "" && (!path.IsAbs(p) || strings.ContainsAny(p, "\n\"\\%$")) {
			return nil, fmt.Errorf("%q: unit paths must be absolute, without quotes, backslashes, '%%' or '$'", p)
		}
	}
	if o.Binary == "" {
		return nil, fmt.Errorf("no keycycle binary path")
	}
	if o.Calendar == "" {
		o.Calendar = "daily"
	}
	if strings.ContainsAny(o.Calendar+o.MaxKeyAge, "\n\"\\%$") {
		return nil, fmt.Errorf("the calendar and key age must be plain words")
	}
	args := []string{o.Binary, "host", "check"}
	if o.Expect != "" {
		args = append(args, "--expect", o.Expect)
	}
	if o.MetricsDir != "" {
		args = append(args, "--metrics", path.Join(o.MetricsDir, "keycycle.prom"))
	}
	if o.MaxKeyAge != "" {
		args = append(args, "--max-key-age", o.MaxKeyAge)
	}
	for i, a := range args {
		if strings.ContainsAny(a, " \t'") {
			args[i] = `"` + a + `"`
		}
	}
	rw := ""
	if o.MetricsDir != "" {
		rw = "ReadWritePaths=" + quoteUnitPath(o.MetricsDir) + "\n"
	}
	service := `[Unit]
Description=keycycle host check: SSH host key, age key file, installed secrets
Documentation=https://github.com/keycycle/keycycle/blob/main/docs/host.md
After=local-fs.target sops-install-secrets.service

[Service]
Type=oneshot
ExecStart=` + strings.Join(args, " ") + `
NoNewPrivileges=yes
PrivateTmp=yes
PrivateNetwork=yes
ProtectSystem=strict
ProtectHome=read-only
` + rw + `
[Install]
WantedBy=multi-user.target
`
	timer := `[Unit]
Description=Run the keycycle host check ` + o.Calendar + `
Documentation=https://github.com/keycycle/keycycle/blob/main/docs/host.md

[Timer]
OnCalendar=` + o.Calendar + `
Persistent=true
RandomizedDelaySec=1h
Unit=keycycle-check.service

[Install]
WantedBy=timers.target
`
	return []Unit{{"keycycle-check.service", service}, {"keycycle-check.timer", timer}}, nil
}

func quoteUnitPath(p string) string {
	if strings.ContainsAny(p, " \t") {
		return `"` + p + `"`
	}
	return p
}
