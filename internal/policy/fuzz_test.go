package policy

import (
	"errors"
	"os"
	"testing"
)

// FuzzParseConfig: any input parses or gives Errors with a file and, for
// every error, a message; it never panics.
func FuzzParseConfig(f *testing.F) {
	if seed, err := os.ReadFile("testdata/seed.yaml"); err == nil {
		f.Add(seed)
	}
	for _, s := range []string{"", "hosts: {a: b}", "roles:\n  r:\n    includes: [r]\n", "categories: {c: {secrets: {'/x': shared}}}",
		"a: &a [*a]", "policy: {max_age: {host: 999999y}}", "deploy: {command: '{x}'}", "deploy: {command: x, sudo: yes, remote_keycycle: [a], ssh_config: {}}", "hosts:\n  - a\n",
		"generators: {a: password, b: {kind: command, command: [x]}, c: {kind: wireguard, public_secret: c}, d: {kind: hex, bytes: 99999}}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig("keycycle.yaml", data)
		if err != nil {
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error is not Errors: %v", err)
			}
			for _, e := range es {
				if e.File != "keycycle.yaml" || e.Msg == "" {
					t.Fatalf("bad error %+v", e)
				}
			}
			return
		}
		for _, h := range cfg.Hosts {
			for _, r := range cfg.Requirements(h) {
				if secretPathProblem(r.Path) != "" || filePathProblem(r.File, false) != "" {
					t.Fatalf("accepted bad requirement %+v", r)
				}
			}
		}
	})
}

// FuzzParseKeys: keys.yaml never panics the parser.
func FuzzParseKeys(f *testing.F) {
	f.Add([]byte("keys:\n  - name: a\n    recipient: age1a\n    created: 2024-01-01\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ks, err := ParseKeys("keys.yaml", data)
		if err == nil {
			if _, err := ks.Marshal(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
