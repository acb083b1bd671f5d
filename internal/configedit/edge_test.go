package configedit

import (
	"bytes"
	"errors"
	"github.com/keycycle/keycycle/internal/sopsconfig"
	"slices"
	"strings"
	"testing"
)

// small is a flat config with flow and block lists.
const small = `keys:
  - &a age1a
  - &b age1b
creation_rules:
  - path_regex: x
    key_groups:
      - age: [*a]
`

// editCase is one edit of a small config: the text it must give, or the
// kind of error it must fail with (leaving the text alone).
type editCase struct {
	name, src string
	edit      func(e *Editor) error
	want      string
	wantErr   error
}

func runCases(t *testing.T, tests []editCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustNew(t, "t.yaml", []byte(tt.src))
			err := tt.edit(e)
			if tt.wantErr != nil {
				wantKind(t, err, tt.wantErr)
				if string(e.Bytes()) != tt.src || e.Diff() != "" {
					t.Errorf("a failed edit changed the text:\n%s", e.Bytes())
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("message is not one line: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := string(e.Bytes()); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestFlowLists(t *testing.T) {
	runCases(t, []editCase{
		{"AddAlias to a flow list", small, func(e *Editor) error { return e.AddAlias(0, "b") },
			strings.Replace(small, "[*a]", "[*a, *b]", 1), nil},
		{"AddAlias to an empty flow list", "keys:\n  - &a age1a\ncreation_rules:\n  - path_regex: x\n    key_groups:\n      - age: []\n        pgp: [P]\n",
			func(e *Editor) error { return e.AddAlias(0, "a") },
			"keys:\n  - &a age1a\ncreation_rules:\n  - path_regex: x\n    key_groups:\n      - age: [*a]\n        pgp: [P]\n", nil},
		{"AddAlias to a multi-line flow list with a comment", "keys:\n  - &a age1a\n  - &b age1b\ncreation_rules:\n  - path_regex: x\n    age: [\n      *a, # first\n    ]\n",
			func(e *Editor) error { return e.AddAlias(0, "b") },
			"keys:\n  - &a age1a\n  - &b age1b\ncreation_rules:\n  - path_regex: x\n    age: [\n      *a, *b, # first\n    ]\n", nil},
		{"RemoveKey from flow lists", "keys: [&a age1a, &b age1b]\ncreation_rules:\n  - path_regex: x\n    key_groups:\n      - age: [*a, *b]\n",
			func(e *Editor) error { return e.RemoveKey("a") },
			"keys: [&b age1b]\ncreation_rules:\n  - path_regex: x\n    key_groups:\n      - age: [*b]\n", nil},
		{"RemoveKey last element of a flow list", "keys: [&a age1a, &b 'age1b']\ncreation_rules:\n  - path_regex: x\n    age: [*a, *b, *b]\n",
			func(e *Editor) error { return e.RemoveKey("b") },
			"keys: [&a age1a]\ncreation_rules:\n  - path_regex: x\n    age: [*a]\n", nil},
		{"AddKey to a flow keys list", "keys: [&a age1a]\ncreation_rules: []\n",
			func(e *Editor) error { return e.AddKey("", "b", "age1b,c") },
			"keys: [&a age1a, &b 'age1b,c']\ncreation_rules: []\n", nil},
		{"RemoveKey that empties a group", small, func(e *Editor) error { return e.RemoveKey("a") }, "", ErrWouldEmpty},
		{"AddKey to a flow mapping", "keys: {hosts: [&a age1a]}\ncreation_rules: []\n",
			func(e *Editor) error { return e.AddKey("hosts", "b", "age1b") }, "", ErrUnsupported},
		{"RemoveKey inside a flow mapping", "keys: {hosts: [&a age1a, &b age1b]}\ncreation_rules: []\n",
			func(e *Editor) error { return e.RemoveKey("a") }, "", ErrUnsupported},
		{"AddRule to flow creation_rules", "keys: [&a age1a]\ncreation_rules: [{path_regex: x, age: [*a]}]\n",
			func(e *Editor) error { return e.AddRule("y", []string{"a"}) }, "", ErrUnsupported},
	})
}

func TestBlockEdgeCases(t *testing.T) {
	grouped := "keys:\n  hosts: &hosts\n    - &h1 age1h1\n  admin: &admin age1admin\ncreation_rules:\n  - path_regex: shared\n    key_groups:\n      - age: *hosts\n  - path_regex: h1\n    key_groups:\n      - age:\n          - *admin\n          - *h1\n"
	runCases(t, []editCase{
		{"empty file", "", func(e *Editor) error {
			if err := e.AddKey("hosts", "h", "age1h"); err != nil {
				return err
			}
			return e.AddRule(`sops/h\.yaml$`, []string{"h"})
		}, "keys:\n  hosts:\n    - &h age1h\ncreation_rules:\n  - path_regex: sops/h\\.yaml$\n    key_groups:\n      - age:\n          - *h\n", nil},
		{"null keys and creation_rules", "keys:\ncreation_rules:\n", func(e *Editor) error {
			if err := e.AddKey("", "h", "age1h"); err != nil {
				return err
			}
			return e.AddRule(`sops/h\.yaml$`, []string{"h"})
		}, "keys:\n  - &h age1h\ncreation_rules:\n  - path_regex: sops/h\\.yaml$\n    key_groups:\n      - age:\n          - *h\n", nil},
		{"CRLF kept", "keys:\r\n  - &a age1a\r\ncreation_rules:\r\n  - path_regex: x\r\n    age:\r\n      - *a\r\n",
			func(e *Editor) error {
				if err := e.AddKey("", "b", "age1b"); err != nil {
					return err
				}
				return e.AddAlias(0, "b")
			}, "keys:\r\n  - &a age1a\r\n  - &b age1b\r\ncreation_rules:\r\n  - path_regex: x\r\n    age:\r\n      - *a\r\n      - *b\r\n", nil},
		{"byte order mark", "\ufeffkeys:\n  - &a age1a\ncreation_rules: []\n",
			func(e *Editor) error { return e.AddKey("", "b", "ssh-ed25519 AAAAC3 host: x") },
			"\ufeffkeys:\n  - &a age1a\n  - &b 'ssh-ed25519 AAAAC3 host: x'\ncreation_rules: []\n", nil},
		{"group with only pgp gets an age list", "keys:\n  - &a age1a\ncreation_rules:\n  - path_regex: x\n    key_groups:\n      - pgp:\n        - P\n      - pgp: [Q]\n",
			func(e *Editor) error { return e.AddAlias(0, "a") },
			"keys:\n  - &a age1a\ncreation_rules:\n  - path_regex: x\n    key_groups:\n      - pgp:\n        - P\n        age:\n        - *a\n      - pgp: [Q]\n", nil},
		{"empty age value", "keys:\n  - &a age1a\ncreation_rules:\n  - path_regex: x\n    key_groups:\n      - age:\n        pgp: [P]\n",
			func(e *Editor) error { return e.AddAlias(0, "a") },
			"keys:\n  - &a age1a\ncreation_rules:\n  - path_regex: x\n    key_groups:\n      - age:\n          - *a\n        pgp: [P]\n", nil},
		{"double-quoted path_regex style", "keys:\n  - &a age1a\ncreation_rules:\n  - path_regex: \"a\\\\.yaml$\"\n    age: [*a]\n",
			func(e *Editor) error { return e.AddRule(`sops/h\.yaml$`, []string{"a"}) },
			"keys:\n  - &a age1a\ncreation_rules:\n  - path_regex: \"a\\\\.yaml$\"\n    age: [*a]\n  - path_regex: \"sops/h\\\\.yaml$\"\n    key_groups:\n      - age:\n          - *a\n", nil},
		{"only rule removed", "creation_rules:\n  # the rule\n  - path_regex: a # here\n    age: x\n", func(e *Editor) error { return e.RemoveRule(0) },
			"creation_rules: []\n", nil},
		{"AddKey to a group aliased by a rule", grouped, func(e *Editor) error { return e.AddKey("host", "h2", "age1h2") },
			strings.Replace(grouped, "    - &h1 age1h1\n", "    - &h1 age1h1\n    - &h2 age1h2\n", 1), nil},
		{"RemoveKey from a mapping of keys", grouped, func(e *Editor) error { return e.RemoveKey("admin") },
			strings.Replace(strings.Replace(grouped, "  admin: &admin age1admin\n", "", 1), "          - *admin\n", "", 1), nil},
		{"RemoveKey last of an aliased group", grouped, func(e *Editor) error { return e.RemoveKey("h1") }, "", ErrWouldEmpty},
		{"AddAlias to an aliased list", grouped, func(e *Editor) error { return e.AddAlias(0, "admin") }, "", ErrUnsupported},
		{"RemoveKey empties a Misterio77 group", "keys:\n  - &users:\n    - &u age1u\n  - &hosts: # scan with ssh-to-age\n    - &h age1h\ncreation_rules:\n  - age: [*u, *h]\n",
			func(e *Editor) error { return e.RemoveKey("h") },
			"keys:\n  - &users:\n    - &u age1u\n  - &hosts: [] # scan with ssh-to-age\ncreation_rules:\n  - age: [*u]\n", nil},
		{"RemoveKey empties an anchored group", "keys:\n  users: &users\n    - &u age1u\n  hosts: &hosts\n    - &h age1h\ncreation_rules:\n  - age:\n      - *u\n      - *h\n",
			func(e *Editor) error { return e.RemoveKey("h") },
			"keys:\n  users: &users\n    - &u age1u\n  hosts: &hosts []\ncreation_rules:\n  - age:\n      - *u\n", nil},
		{"AddKey fills an empty Misterio77 group", "keys:\n  - &users:\n    - &u age1u\n  - &hosts:\ncreation_rules: []\n",
			func(e *Editor) error { return e.AddKey("hosts", "h", "age1h") },
			"keys:\n  - &users:\n    - &u age1u\n  - &hosts:\n      - &h age1h\ncreation_rules: []\n", nil},
		{"RemoveRule keeps the next rule's comments", "creation_rules:\n  # first\n  - path_regex: a\n    age: x\n    # about a\n\n  # second\n  - path_regex: b\n    age: y\n",
			func(e *Editor) error { return e.RemoveRule(0) },
			"creation_rules:\n  # second\n  - path_regex: b\n    age: y\n", nil},
		{"RemoveRule in the middle", "creation_rules:\n  - path_regex: a\n    age: x\n\n  # b\n  - path_regex: b\n    age: y\n\n  - path_regex: c\n    age: z\n",
			func(e *Editor) error { return e.RemoveRule(1) },
			"creation_rules:\n  - path_regex: a\n    age: x\n\n  - path_regex: c\n    age: z\n", nil},
	})
}

func TestRefusals(t *testing.T) {
	runCases(t, []editCase{
		{"multi-document", small + "---\nx: 1\n", func(e *Editor) error { return e.AddAlias(0, "b") }, "", ErrUnsupported},
		{"lone carriage return", "# a\r# b\n" + small, func(e *Editor) error { return e.AddAlias(0, "b") }, "", ErrUnsupported},
		{"bad anchor name", small, func(e *Editor) error { return e.AddKey("", "web.01", "age1c") }, "", ErrInvalid},
		{"bad group name", small, func(e *Editor) error { return e.AddKey("my hosts", "c", "age1c") }, "", ErrInvalid},
		{"value with a newline", small, func(e *Editor) error { return e.AddKey("", "c", "age1\nc") }, "", ErrInvalid},
		{"name taken", small, func(e *Editor) error { return e.AddKey("", "a", "age1c") }, "", ErrAlreadyPresent},
		{"value taken", small, func(e *Editor) error { return e.AddKey("", "c", "age1b") }, "", ErrAlreadyPresent},
		{"bad regex", small, func(e *Editor) error { return e.AddRule("(", []string{"a"}) }, "", ErrInvalid},
		{"no keys", small, func(e *Editor) error { return e.AddRule("y", nil) }, "", ErrInvalid},
		{"alias twice", small, func(e *Editor) error { return e.AddRule("y", []string{"a", "a"}) }, "", ErrInvalid},
		{"unknown alias", small, func(e *Editor) error { return e.AddRule("y", []string{"zz"}) }, "", ErrNotFound},
		{"rule exists", small, func(e *Editor) error { return e.AddRule("x", []string{"a"}) }, "", ErrAlreadyPresent},
		{"no such rule", small, func(e *Editor) error { return e.AddAlias(3, "a") }, "", ErrNotFound},
		{"no such rule to remove", small, func(e *Editor) error { return e.RemoveRule(-1) }, "", ErrNotFound},
		{"alias present", small, func(e *Editor) error { return e.AddAlias(0, "a") }, "", ErrAlreadyPresent},
		{"value present as a literal", "keys:\n  - &a age1a\ncreation_rules:\n  - age: [age1a]\n", func(e *Editor) error { return e.AddAlias(0, "a") }, "", ErrAlreadyPresent},
		{"anchor after the rule", "creation_rules:\n  - path_regex: x\n    age: [age1x]\nkeys:\n  - &a age1a\n", func(e *Editor) error { return e.AddAlias(0, "a") }, "", ErrUnsupported},
		{"new rule above its anchor", "creation_rules:\n  - path_regex: x\n    age: [age1x]\nkeys:\n  - &a age1a\n", func(e *Editor) error { return e.AddRule("y", []string{"a"}) }, "", ErrUnsupported},
		{"age list as a string", "keys:\n  - &a age1a\ncreation_rules:\n  - path_regex: x\n    age: age1x,age1y\n", func(e *Editor) error { return e.AddAlias(0, "a") }, "", ErrUnsupported},
		{"rule written as an alias", "keys:\n  - &a age1a\nbase: &r {path_regex: x, age: [age1x]}\ncreation_rules:\n  - *r\n", func(e *Editor) error { return e.AddAlias(0, "a") }, "", ErrUnsupported},
		{"key group written as an alias", "keys:\n  - &a age1a\ng: &g {age: [age1x]}\ncreation_rules:\n  - key_groups: [*g]\n", func(e *Editor) error { return e.AddAlias(0, "a") }, "", ErrUnsupported},
		{"group anchor", "keys:\n  hosts: &hosts\n    - &a age1a\ncreation_rules: []\n", func(e *Editor) error { return e.RemoveKey("hosts") }, "", ErrInvalid},
		{"unknown key", small, func(e *Editor) error { return e.RemoveKey("zz") }, "", ErrNotFound},
		{"anchor inside a rule", "creation_rules:\n  - path_regex: x\n    age: &z age1z\n  - age: *z\n", func(e *Editor) error { return e.RemoveKey("z") }, "", ErrUnsupported},
		{"alias as a whole value", "keys:\n  - &a age1a\n  - &b age1b\ncreation_rules:\n  - path_regex: x\n    age: *a\n    pgp: [P]\n  - age: [*b, *a]\n", func(e *Editor) error { return e.RemoveKey("a") }, "", ErrUnsupported},
		{"rule defines an anchor used elsewhere", "creation_rules:\n  - path_regex: x\n    age: &z age1z\n  - age: *z\n", func(e *Editor) error { return e.RemoveRule(0) }, "", ErrUnsupported},
		{"keys as a scalar", "keys: nothing\ncreation_rules: []\n", func(e *Editor) error { return e.AddKey("", "a", "age1a") }, "", ErrUnsupported},
		{"group is a mapping", "keys:\n  hosts:\n    prod: &a age1a\ncreation_rules: []\n", func(e *Editor) error { return e.AddKey("hosts", "c", "age1c") }, "", ErrUnsupported},
		{"grouped keys need a group", "keys:\n  hosts:\n    - &a age1a\n  users:\n    - &b age1b\ncreation_rules: []\n", func(e *Editor) error { return e.AddKey("", "c", "age1c") }, "", ErrInvalid},
	})
}

// TestRefusedResult plans a wrong edit on purpose: commit must refuse it
// and keep the text.
func TestRefusedResult(t *testing.T) {
	e := mustNew(t, "t.yaml", []byte(small))
	p, err := e.newPlan()
	if err != nil {
		t.Fatal(err)
	}
	p.ed.deleteLines(1, 2) // drops &a, which the rule still uses
	err = e.commit(p, func(*sopsconfig.Config) error { return nil })
	if !errors.Is(err, ErrUnsafeResult) || !strings.HasPrefix(err.Error(), "refusing to edit t.yaml: the result would ") {
		t.Fatalf("got %v", err)
	}
	if !bytes.Equal(e.Bytes(), []byte(small)) {
		t.Error("text changed")
	}
	p, _ = e.newPlan()
	p.ed.insertLines(3, []string{"  - &c age1c"}) // not in the expected tree
	if err := e.commit(p, func(*sopsconfig.Config) error { return nil }); !errors.Is(err, ErrUnsafeResult) ||
		!strings.Contains(err.Error(), "change more of the YAML data than intended") {
		t.Fatalf("got %v", err)
	}
}

func TestExamplePaths(t *testing.T) {
	tests := []struct {
		regex string
		want  []string
	}{
		{`sops/web01\.yaml$`, []string{"sops/web01.yaml"}},
		{`^secrets/sops/igloo\.yaml$`, []string{"secrets/sops/igloo.yaml"}},
		{`hosts/[^/]+/secrets.ya?ml$`, []string{"hosts/x/secrets.yaml", "hosts/x/secretsxyml"}},
		{`secrets/[^/]+\.(yaml|json|env|ini)$`, []string{"secrets/x.yaml"}},
		{`(?i)KEYS/.+\.age`, []string{"keys/..age", "keys/x.age"}},
		{`x{2,3}[0-9]+`, []string{"xxx0", "xx0"}},
		{`.*`, []string{""}},
		{`a^b`, nil},
		{`(`, nil},
	}
	for _, tt := range tests {
		if got := examplePaths(tt.regex); !slices.Equal(got, tt.want) {
			t.Errorf("examplePaths(%q) = %q, want %q", tt.regex, got, tt.want)
		}
	}
}

func TestOddLayouts(t *testing.T) {
	dashAlone := "keys:\n  - &a age1a\ncreation_rules:\n  -\n    path_regex: a\n    age: [*a]\n  - path_regex: b\n    age: [*a]\n"
	runCases(t, []editCase{
		{"RemoveRule with its dash alone on a line", dashAlone, func(e *Editor) error { return e.RemoveRule(0) },
			"keys:\n  - &a age1a\ncreation_rules:\n  - path_regex: b\n    age: [*a]\n", nil},
		{"AddRule for an unmatchable regex goes before the catch-all probe", "keys:\n  - &a age1a\ncreation_rules:\n  - path_regex: x\n    age: [*a]\n  - path_regex: sops/\n    age: [*a]\n",
			func(e *Editor) error { return e.AddRule(`a^b`, []string{"a"}) },
			"keys:\n  - &a age1a\ncreation_rules:\n  - path_regex: x\n    age: [*a]\n  - path_regex: a^b\n    key_groups:\n      - age:\n          - *a\n  - path_regex: sops/\n    age: [*a]\n", nil},
		{"creation_rules as an alias", "base: &r\n  - path_regex: x\n    age: [a]\nkeys:\n  - &a age1a\ncreation_rules: *r\n",
			func(e *Editor) error { return e.AddAlias(0, "a") }, "", ErrUnsupported},
		{"key_groups from a merged mapping", "keys:\n  - &a age1a\nd: &d\n  key_groups:\n    - age: [age1x]\ncreation_rules:\n  - <<: *d\n    path_regex: x\n",
			func(e *Editor) error { return e.AddAlias(0, "a") }, "", ErrUnsupported},
	})
}

func TestDiffSemMessages(t *testing.T) {
	a := cfgSem{Rules: []ruleSem{{Groups: [][]keySem{{{Type: "age", Value: "age1a", Alias: "a"}}}}}}
	b := a.clone()
	b.Rules[0].Groups[0] = append(b.Rules[0].Groups[0], keySem{Type: "age", Value: "age1b"})
	if got := diffSem(a, b); got != "give creation rule 1 the key groups [[*a age:age1b]] instead of [[*a]]" {
		t.Errorf("got %q", got)
	}
	b = a.clone()
	b.Anchors = []anchorSem{{Name: "x"}}
	if got := diffSem(a, b); got != "define the keys [&x] instead of []" {
		t.Errorf("got %q", got)
	}
	if got := diffSem(a, a.clone()); got != "" {
		t.Errorf("got %q", got)
	}
}
