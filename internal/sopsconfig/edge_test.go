package sopsconfig

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// mustParse parses src or fails the test; it also checks the result
// against sops's own decode.
func mustParse(t *testing.T, src string) *Config {
	t.Helper()
	c := checkAgainstSops(t, []byte(src))
	if c == nil {
		_, err := Parse("t.yaml", []byte(src))
		t.Fatalf("Parse: %v", err)
	}
	return c
}

// parseErr parses src and returns the *Error it must fail with.
func parseErr(t *testing.T, src string) *Error {
	t.Helper()
	_, err := Parse("t.yaml", []byte(src))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want *Error, got %v", err)
	}
	if strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), fmt.Sprintf("t.yaml:%d: ", e.Line)) || e.Line < 1 {
		t.Fatalf("not a one-line FILE:LINE: message: %q", err)
	}
	return e
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		contains  string
	}{
		{"bad indentation", "creation_rules:\n  - path_regex: a\n    age: b\n   pgp: c\n", 4, "invalid YAML"},
		{"tab indentation", "creation_rules:\n\t- path_regex: a\n", 2, "invalid YAML"},
		{"unclosed quote", "keys:\n  - &a 'age1\ncreation_rules: []\n", 2, "invalid YAML"},
		{"list document", "- path_regex: a\n- age: b\n", 1, "expected a mapping"},
		{"scalar document", "hello\n", 1, "expected a mapping"},
		{"creation_rules string", "creation_rules: secrets\n", 1, "creation_rules: expected a list of creation rules"},
		{"key_groups string", "creation_rules:\n  - path_regex: a\n    key_groups: age1x\n", 3, "key_groups: expected a list of key groups"},
		{"group age string", "creation_rules:\n  - key_groups:\n      - age: age1x\n", 3, "age: expected a list of strings"},
		{"shamir not int", "creation_rules:\n  - shamir_threshold: two\n", 2, "shamir_threshold: expected an integer"},
		{"shamir quoted", "creation_rules:\n  - shamir_threshold: '2'\n", 2, "expected an integer"},
		{"path_regex list", "creation_rules:\n  - path_regex: [a]\n", 2, "path_regex: expected a string"},
		{"rule hckms string", "creation_rules:\n  - hckms: a:b\n", 2, "hckms: expected a list of strings"},
		{"stores indent", "stores:\n  yaml:\n    indent: wide\n", 3, "indent: expected an integer"},
		{"duplicate rule key", "creation_rules:\n  - path_regex: a\n    path_regex: b\n", 3, `duplicate key "path_regex" (first defined at line 2)`},
		{"duplicate top key", "keys: []\ncreation_rules: []\nkeys: []\n", 3, `duplicate key "keys"`},
		{"non-utf8", "creation_rules:\n  - path_regex: \xff\n", 2, "not valid UTF-8"},
		{"control char", "creation_rules:\n  - path_regex: \x01\n", 2, "control characters"},
		{"merge of a scalar", "creation_rules:\n  - <<: x\n", 2, "map merge"},
		{"group merging itself", "g: &g\n  merge: [*g]\ncreation_rules:\n  - key_groups: [*g]\n", 2, "contains itself"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := parseErr(t, tt.src)
			if e.Line != tt.line {
				t.Errorf("line %d, want %d: %v", e.Line, tt.line, e)
			}
			if !strings.Contains(e.Msg, tt.contains) {
				t.Errorf("message %q does not contain %q", e.Msg, tt.contains)
			}
		})
	}
}

func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("keys:\n  - &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= 12; i++ {
		fmt.Fprintf(&b, "  - &l%d [", i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	inKeys := b.String()
	inRules := inKeys + "creation_rules:\n  - age: *l12\n"
	for name, src := range map[string]string{"under keys": inKeys, "in a rule": inRules} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			e := parseErr(t, src)
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			if !strings.Contains(e.Msg, "alias bomb") || e.Line < 3 {
				t.Errorf("unexpected error %v", e)
			}
		})
	}
	// A modest expansion is fine.
	mustParse(t, "keys:\n  - &users [age1a, age1b]\ncreation_rules:\n  - age: *users\n  - age: *users\n")
}

func TestEmptyAndOddDocuments(t *testing.T) {
	tests := []struct {
		name, src  string
		hasRules   bool
		moreDocs   bool
		matchError error
	}{
		{"empty file", "", false, false, ErrNoCreationRules},
		{"comments only", "# nothing\n", false, false, ErrNoCreationRules},
		{"document marker only", "---\n", false, false, ErrNoCreationRules},
		{"null creation_rules", "creation_rules:\n", false, false, ErrNoCreationRules},
		{"only destination rules", "destination_rules:\n  - path_regex: a\n", false, false, ErrNoCreationRules},
		{"empty creation_rules", "creation_rules: []\n", true, false, ErrNoMatch},
		{"second document ignored", "creation_rules: []\n---\ncreation_rules:\n  - age: a\n", true, true, ErrNoMatch},
		{"first document empty", "---\n---\ncreation_rules:\n  - age: a\n", false, true, ErrNoCreationRules},
		{"broken second document", "creation_rules: []\n---\n: : [\n", true, true, ErrNoMatch},
		{"utf-16 bom, empty", "\xff\xfe", false, false, ErrNoCreationRules},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.src)
			if c.HasCreationRules != tt.hasRules || c.MoreDocuments != tt.moreDocs {
				t.Errorf("HasCreationRules=%v MoreDocuments=%v", c.HasCreationRules, c.MoreDocuments)
			}
			if i, err := c.Match("a.yaml"); i != -1 || !errors.Is(err, tt.matchError) {
				t.Errorf("Match = %d, %v; want %v", i, err, tt.matchError)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	src := `creation_rules:
  - path_regex: ^hosts/a\.yaml$
    age: a
  - path_regex: '(unclosed'
    age: b
  - path_regex: shared
    age: c
  - path_regexp: typo\.yaml$
    age: d
  - path_regex: never
    age: e
`
	c := mustParse(t, src)
	if c.Rules[1].RegexError == "" || c.Rules[1].PathRegexPos.Line != 4 {
		t.Errorf("rule 1: %+v", c.Rules[1])
	}
	if got := c.Rules[3].UnknownFields; len(got) != 1 || got[0].Name != "path_regexp" || got[0].Pos.Line != 8 {
		t.Errorf("unknown fields %+v", got)
	}
	i, err := c.Match("hosts/a.yaml")
	if i != 0 || err != nil {
		t.Errorf("Match(hosts/a.yaml) = %d, %v", i, err)
	}
	var e *Error
	if i, err := c.Match("x/shared.yaml"); i != -1 || !errors.As(err, &e) || e.Line != 4 {
		t.Errorf("bad regex before the match: %d, %v", i, err)
	}

	c = mustParse(t, "creation_rules:\n  - path_regex: a\n  - path_regex: '('\n  - path_regex: ''\n")
	if i, err := c.Match("xay"); i != 0 || err != nil {
		t.Errorf("unanchored match: %d, %v", i, err)
	}
	if _, err := c.Match("zzz"); !errors.As(err, &e) || e.Line != 3 {
		t.Errorf("bad regex reached: %v", err)
	}
	c = mustParse(t, "creation_rules:\n  - path_regex: a\n  - path_regex: ''\n  - path_regex: '('\n")
	if i, err := c.Match("zzz"); i != 1 || err != nil {
		t.Errorf("empty path_regex matches all, bad regex after it unreached: %d, %v", i, err)
	}
	// A typo'd path_regexp makes a catch-all.
	c = mustParse(t, "creation_rules:\n  - path_regexp: only\\.yaml$\n    age: a\n  - path_regex: other\n")
	if i, _ := c.Match("other"); i != 0 || c.Rules[0].HasPathRegex {
		t.Errorf("typo rule should match everything: %d", i)
	}
	// null items are dropped from creation_rules, as sops drops them.
	c = mustParse(t, "creation_rules:\n  - ~\n  - path_regex: b\n")
	if len(c.Rules) != 1 || c.Rules[0].Index != 0 || c.Rules[0].Pos.Line != 3 {
		t.Errorf("null rule not dropped: %+v", c.Rules)
	}
}

func TestMatchConcurrent(t *testing.T) {
	c := mustParse(t, "creation_rules:\n  - path_regex: a$\n  - path_regex: b$\n  - path_regex: c$\n")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				p := []string{"x/a", "x/b", "x/c", "x/d"}[(g+j)%4]
				i, err := c.Match(p)
				if want := (g + j) % 4; want < 3 && i != want || want == 3 && !errors.Is(err, ErrNoMatch) {
					t.Errorf("Match(%s) = %d, %v", p, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// keysOf renders each key group of rule i as "type:value" strings.
func keysOf(c *Config, i int) [][]string { return groupStrings(&c.Rules[i]) }

func TestKeyGroups(t *testing.T) {
	tests := []struct {
		name, src string
		want      [][]string
		fromKG    bool
		errors    int
	}{
		{"shamir zero", "creation_rules:\n  - shamir_threshold: 0\n    pgp: F\n", [][]string{{"pgp:F"}}, false, 0},
		{"key_groups empty list", "creation_rules:\n  - key_groups: []\n    age: a\n", [][]string{{"age:a"}}, false, 0},
		{"key_groups empty map", "creation_rules:\n  - key_groups:\n      - {}\n    age: a\n", [][]string{{}}, true, 0},
		{"key_groups null item", "creation_rules:\n  - key_groups:\n      - ~\n", [][]string{{}}, false, 0},
		{"no keys", "creation_rules:\n  - path_regex: x\n", [][]string{{}}, false, 0},
		{"flat comma string", "creation_rules:\n  - age: \"a,b\"\n", [][]string{{"age:a", "age:b"}}, false, 0},
		{"flat empty parts", "creation_rules:\n  - age: ' a , ,b,'\n", [][]string{{"age:a", "age:b"}}, false, 0},
		{"flat list items split", "creation_rules:\n  - age: ['a,b', ' c ']\n", [][]string{{"age:a", "age:b", "age:c"}}, false, 0},
		{"flat list empty item", "creation_rules:\n  - age: [a, '']\n", [][]string{{"age:a", "age:"}}, false, 0},
		{"flat single empty item", "creation_rules:\n  - age: ['']\n", [][]string{{}}, false, 0},
		{"flat duplicates kept", "creation_rules:\n  - age: a,a\n", [][]string{{"age:a", "age:a"}}, false, 0},
		{"folded", "creation_rules:\n  - age: >-\n      a,\n      b\n    pgp: >-\n      F 1,\n      F2\n", [][]string{{"age:a", "age:b", "pgp:F1", "pgp:F2"}}, false, 0},
		{"group duplicates dropped", "keys:\n  - &a age1a\ncreation_rules:\n  - key_groups:\n      - age: [*a, age1a, 'age1a,age1b', ' age1b ']\n        pgp: [F, ' F']\n", [][]string{{"age:age1a", "age:age1b", "pgp:F"}}, true, 0},
		{"group order", "creation_rules:\n  - key_groups:\n      - pgp: [P]\n        age: [A]\n        merge:\n          - kms: [{arn: K}]\n          - age: [A]\n", [][]string{{"kms:K", "age:A", "pgp:P"}}, true, 0},
		{"flat ignored with key_groups", "creation_rules:\n  - age: x\n    key_groups:\n      - pgp: [P]\n", [][]string{{"pgp:P"}}, true, 0},
		{"kms flat role and profile", "creation_rules:\n  - kms: 'arn:aws:kms:k+arn:aws:iam::1:role/r'\n    aws_profile: p\n", [][]string{{"kms:arn:aws:kms:k+arn:aws:iam::1:role/r||p"}}, false, 0},
		{"kms group context", "creation_rules:\n  - key_groups:\n      - kms: [{arn: a, role: r, context: {b: '2', a: '1'}}]\n", [][]string{{"kms:a+r|a:1,b:2"}}, true, 0},
		{"flat age wrong type", "creation_rules:\n  - age: 5\n", [][]string{{}}, false, 1},
		{"flat list wrong item", "creation_rules:\n  - pgp: [P, {x: 1}]\n", [][]string{{}}, false, 1},
		{"two selectors", "creation_rules:\n  - encrypted_regex: a\n    unencrypted_suffix: _u\n    age: a\n", [][]string{{"age:a"}}, false, 1},
		{"empty hc_vault crashes sops", "creation_rules:\n  - key_groups:\n      - hc_vault: ['']\n", [][]string{{}}, true, 1},
		{"bad hckms", "creation_rules:\n  - key_groups:\n      - hckms: [{key_id: nocolon}]\n", [][]string{{}}, true, 1},
		{"vault uri", "creation_rules:\n  - hc_vault_transit_uri: 'https://v:8200/v1/transit/keys/k'\n", [][]string{{"hc_vault:https://v:8200/v1/transit/keys/k"}}, false, 0},
		{"azure url", "creation_rules:\n  - azure_keyvault: 'https://v.vault.azure.net/keys/k/1'\n", [][]string{{"azure_keyvault:https://v.vault.azure.net/keys/k/1"}}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.src)
			if got := keysOf(c, 0); !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("groups %q, want %q", got, tt.want)
			}
			r := &c.Rules[0]
			if r.FromKeyGroups != tt.fromKG || len(r.Errors) != tt.errors {
				t.Errorf("FromKeyGroups=%v errors=%v", r.FromKeyGroups, r.Errors)
			}
			if _, err := c.RuleFor("x"); (err != nil) != (tt.errors > 0) {
				t.Errorf("RuleFor error %v", err)
			}
		})
	}
}
