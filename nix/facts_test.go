package nix_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// facts is what nix/tests/eval/lib.nix reports of an evaluated host.
type facts struct {
	FailedAssertions []string            `json:"failedAssertions"`
	Warnings         []string            `json:"warnings"`
	ActivationOrder  []string            `json:"activationOrder"`
	ActivationDeps   map[string][]string `json:"activationDeps"`
	EnforceScript    *string             `json:"enforceScript"`
	Services         map[string]unit     `json:"services"`
	Timers           map[string]any      `json:"timers"`
	Tmpfiles         []string            `json:"tmpfiles"`
	Audit            struct {
		Enable any      `json:"enable"`
		Rules  []string `json:"rules"`
		Auditd bool     `json:"auditd"`
	} `json:"audit"`
	SystemPackages []string `json:"systemPackages"`
	Keycycle       struct {
		KeyFile     *string  `json:"keyFile"`
		SSHKeyPaths []string `json:"sshKeyPaths"`
	} `json:"keycycle"`
	Sops *struct {
		Secrets           map[string]secretFacts `json:"secrets"`
		Manifest          *string                `json:"manifest"`
		ManifestPath      *string                `json:"manifestPath"`
		UsersManifest     *string                `json:"usersManifest"`
		UsersManifestPath *string                `json:"usersManifestPath"`
	} `json:"sops"`
	// The VM test's, for the vm-node case.
	Name       string `json:"name"`
	TestScript string `json:"testScript"`
}

type unit struct {
	Description     string         `json:"description"`
	After           []string       `json:"after"`
	Wants           []string       `json:"wants"`
	WantedBy        []string       `json:"wantedBy"`
	Path            []string       `json:"path"`
	ServiceConfig   map[string]any `json:"serviceConfig"`
	RestartTriggers []string       `json:"restartTriggers"`
}

type secretFacts struct {
	Path           string  `json:"path"`
	Owner          *string `json:"owner"`
	Group          *string `json:"group"`
	Mode           string  `json:"mode"`
	NeededForUsers bool    `json:"neededForUsers"`
}

// execStart returns a unit's ExecStart as one line.
func (u unit) execStart() string {
	switch v := u.ServiceConfig["ExecStart"].(type) {
	case string:
		return v
	case []any:
		var parts []string
		for _, p := range v {
			parts = append(parts, fmt.Sprint(p))
		}
		return strings.Join(parts, "\n")
	}
	return ""
}

// args returns the values that follow flag in a command line.
func args(cmd, flag string) []string {
	var out []string
	f := strings.Fields(cmd)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == flag {
			out = append(out, strings.Trim(f[i+1], "'"))
		}
	}
	return out
}

// service returns a unit or fails.
func (f *facts) service(t *testing.T, name string) unit {
	t.Helper()
	u, ok := f.Services[name]
	if !ok {
		t.Fatalf("no systemd.services.%s; have %v", name, keys(f.Services))
	}
	return u
}

// noFailures fails on any failed assertion or warning.
func (f *facts) noFailures(t *testing.T) {
	t.Helper()
	if len(f.FailedAssertions) > 0 || len(f.Warnings) > 0 {
		t.Errorf("failed assertions %q, warnings %q", f.FailedAssertions, f.Warnings)
	}
}

// runsAfter fails unless a runs after b in the activation order.
func (f *facts) runsAfter(t *testing.T, a, b string) {
	t.Helper()
	ia, ib := slices.Index(f.ActivationOrder, a), slices.Index(f.ActivationOrder, b)
	if ia < 0 || ib < 0 || ia < ib {
		t.Errorf("activation order %v: want %s after %s", f.ActivationOrder, a, b)
	}
	if !slices.Contains(f.ActivationDeps[a], b) {
		t.Errorf("%s runs after %s only by the order of names: deps %v", a, b, f.ActivationDeps[a])
	}
}

// expects returns the --expect arguments of the verify unit, and checks
// the rotation check passes the same.
func (f *facts) expects(t *testing.T) []string {
	t.Helper()
	v := args(f.service(t, "keycycle-verify").execStart(), "--expect")
	r := args(f.service(t, "keycycle-rotation-check").execStart(), "--expect")
	if !slices.Equal(v, r) {
		t.Errorf("verify expects %v, rotation check %v", v, r)
	}
	return v
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func deref(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}
