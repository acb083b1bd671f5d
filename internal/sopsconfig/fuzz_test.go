package sopsconfig

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// checkAgainstSops parses data and compares the result with what sops's
// own decode (yaml.v3 into the sops-shaped structs) plus the oracle say.
// It returns the Config (nil when Parse failed).
func checkAgainstSops(t *testing.T, data []byte) *Config {
	t.Helper()
	c, err := Parse("fuzz.yaml", data)
	var cf configFile
	sopsErr := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = errors.New("panic")
			}
		}()
		return yaml.Unmarshal(data, &cf)
	}()
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Line < 1 || strings.Contains(err.Error(), "\n") {
			t.Fatalf("error is not a single-line *Error with a line: %q", err)
		}
		if sopsErr == nil && !strings.Contains(e.Msg, "alias bomb") && !strings.Contains(e.Msg, "larger than") {
			t.Fatalf("we reject what sops accepts: %v", err)
		}
		return nil
	}
	if sopsErr != nil {
		t.Fatalf("we accept what sops rejects (%v)", sopsErr)
	}
	if c.HasCreationRules != (cf.CreationRules != nil) {
		t.Fatalf("HasCreationRules = %v, sops has %v", c.HasCreationRules, cf.CreationRules != nil)
	}
	if len(c.Rules) != len(cf.CreationRules) {
		t.Fatalf("%d rules, sops has %d", len(c.Rules), len(cf.CreationRules))
	}
	for i, want := range oracleResolve(&cf) {
		r, cr := &c.Rules[i], &cf.CreationRules[i]
		if got := groupStrings(r); !slices.EqualFunc(got, normGroups(want.groups), slices.Equal) {
			t.Fatalf("rule %d groups\n got %q\nwant %q", i, got, want.groups)
		}
		if (len(r.Errors) > 0) != want.failed {
			t.Fatalf("rule %d errors %v, oracle failed=%v", i, r.Errors, want.failed)
		}
		if r.PathRegex != cr.PathRegex || r.ShamirThreshold != cr.ShamirThreshold ||
			r.EncryptedRegex != cr.EncryptedRegex || r.UnencryptedRegex != cr.UnencryptedRegex ||
			r.UnencryptedSuffix != cr.UnencryptedSuffix || r.EncryptedSuffix != cr.EncryptedSuffix ||
			r.MACOnlyEncrypted != cr.MACOnlyEncrypted || r.AwsProfile != cr.AwsProfile {
			t.Fatalf("rule %d fields differ: %+v vs %+v", i, r, cr)
		}
		if r.FromKeyGroups != (len(cr.KeyGroups) > 0) {
			t.Fatalf("rule %d FromKeyGroups = %v", i, r.FromKeyGroups)
		}
	}
	for _, p := range []string{"", "a", "secrets/a.yaml", "hosts/x/secrets.yaml", "/abs/path"} {
		i, err := c.Match(p)
		if err == nil && (i < 0 || i >= len(c.Rules)) {
			t.Fatalf("Match(%q) = %d without error", p, i)
		}
		_, _ = c.RuleFor(p)
	}
	_ = c.Recipients()
	return c
}

// normGroups makes nil groups empty, as groupStrings renders them.
func normGroups(groups [][]string) [][]string {
	out := make([][]string, len(groups))
	for i, g := range groups {
		out[i] = append([]string{}, g...)
	}
	return out
}

func FuzzParse(f *testing.F) {
	for _, s := range edgeSeeds() {
		f.Add([]byte(s))
	}
	if _, err := os.Stat("../../../shared/corpus"); err == nil {
		files, _ := filepath.Glob("../../../shared/corpus/sops-yaml/*.sops.yaml")
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		checkAgainstSops(t, data)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Parse took %v", d)
		}
	})
}

// edgeSeeds are small configs that exercise the odd corners.
func edgeSeeds() []string {
	return []string{
		"",
		"---\n",
		"# only a comment\n",
		"- a\n- b\n",
		"creation_rules:\n",
		"creation_rules: []\n",
		"creation_rules:\n  - ~\n  - path_regex: a\n    age: x\n",
		"creation_rules:\n  - path_regex: '('\n  - age: a\n",
		"keys:\n  - &a age1a\n  - &b age1b\ncreation_rules:\n  - key_groups:\n      - age: [*a, *b, *a]\n        pgp: [' F P ', 'FP']\n",
		"creation_rules:\n  - age: ' a , ,b,'\n    pgp: [a, '']\n    kms: 'arn:aws:kms:x+arn:aws:iam::1:role/r'\n    aws_profile: p\n",
		"creation_rules:\n  - age: [a, 5]\n  - age: {x: 1}\n  - age: ['']\n  - age: ['', '']\n",
		"d: &d {path_regex: x, age: y}\ncreation_rules:\n  - <<: *d\n    age: z\n  - *d\n",
		"g: &g {age: [a]}\ncreation_rules:\n  - key_groups: [*g, {merge: [*g, {pgp: [p]}]}, ~, {}]\n",
		"creation_rules:\n  - key_groups:\n      - kms: [{arn: a, role: r, context: {b: '1', a: '2'}, aws_profile: p}]\n        gcp_kms: [{resource_id: ' r '}]\n        hckms: [{key_id: 'reg:uuid'}, {key_id: bad}]\n        azure_keyvault: [{vaultUrl: 'https://v', key: k}]\n        hc_vault: ['https://v:8200/v1/transit/keys/k', 'nope', '']\n",
		"creation_rules:\n  - hckms: [' reg:u ', '', ~]\n    azure_keyvault: 'https://v/keys/k/1, https://v/keys/k'\n    hc_vault_transit_uri: 'https://v/v1/t/keys/k,'\n",
		"creation_rules:\n  - encrypted_regex: a\n    unencrypted_regex: b\n",
		"creation_rules:\n  - shamir_threshold: 2.0\n    mac_only_encrypted: yes\n  - shamir_threshold: '2'\n",
		"creation_rules:\n  - path_regex: a\n    path_regex: b\n",
		"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n",
		"creation_rules:\n  - age: >-\n      a,\n      b\n",
		"creation_rules:\n  - key_groups:\n    - age:\n      - a\n      - a\n      - b,a\n",
		"stores: {yaml: {indent: x}}\n",
		"creation_rules: x\n",
		"creation_rules:\n  - key_groups: x\n",
		"a: 1\n---\nb: 2\n",
		"\xff\xfe\x00",
		"creation_rules:\n  - path_regex: \xff\n",
	}
}
