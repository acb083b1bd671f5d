package sopsconfig

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestAnchorsShapes(t *testing.T) {
	src := `keys:
  - &flat age1flat
  - &users:
    - &alice age1alice
  - nested:
      deep: &deep ' age1deep '
  - &list [&l1 age1l1, &l2 age1l2]
  - *flat
creation_rules:
  - path_regex: a
    age: &inline age1inline
  - key_groups:
      - age: [*flat, *alice, *deep]
  - age: *list
`
	c := mustParse(t, src)
	type row struct {
		name, value string
		group       string
		line        int
	}
	var got []row
	for _, a := range c.Anchors {
		got = append(got, row{a.Name, a.Value, strings.Join(a.Group, "/"), a.Pos.Line})
	}
	want := []row{
		{"flat", "age1flat", "", 2}, {"alice", "age1alice", "users", 4},
		{"deep", "age1deep", "nested/deep", 6}, {"l1", "age1l1", "list", 7}, {"l2", "age1l2", "list", 7},
	}
	if !slices.Equal(got, want) {
		t.Errorf("anchors\n got %v\nwant %v", got, want)
	}
	if len(c.Groups) != 2 || c.Groups[0].Name != "users" || !c.Groups[0].OnKey || c.Groups[1].Name != "list" ||
		!slices.Equal(c.Groups[1].Values, []string{"age1l1", "age1l2"}) {
		t.Errorf("groups %+v", c.Groups)
	}
	if len(c.OtherAnchors) != 1 || c.OtherAnchors[0].Name != "inline" || c.OtherAnchors[0].Pos.Line != 11 {
		t.Errorf("other anchors %+v", c.OtherAnchors)
	}
	wantUses := map[string]int{"flat": 2, "alice": 1, "deep": 1, "list": 1}
	if !reflect.DeepEqual(c.AliasUses, wantUses) {
		t.Errorf("alias uses %v", c.AliasUses)
	}
	if a, ok := c.AnchorByName("alice"); !ok || a.Value != "age1alice" {
		t.Errorf("AnchorByName: %+v %v", a, ok)
	}
	if a, ok := c.AnchorByValue(" age1deep"); !ok || a.Name != "deep" {
		t.Errorf("AnchorByValue: %+v %v", a, ok)
	}
	if _, ok := c.AnchorByName("inline"); ok {
		t.Errorf("AnchorByName found an anchor outside keys:")
	}
	wantRecipients := []string{"age1inline", "age1flat", "age1alice", "age1deep", "age1l1", "age1l2"}
	if got := c.Recipients(); !slices.Equal(got, wantRecipients) {
		t.Errorf("Recipients %v", got)
	}
	// Keys reached through aliases: the alias name, the list alias they
	// came through, and the line of the rule that brings them in.
	refs := c.Rules[1].KeyGroups[0].Keys
	if refs[0].Alias != "flat" || refs[0].Via != "" || refs[0].Pos.Line != 13 || refs[2].Alias != "deep" {
		t.Errorf("group refs %+v", refs)
	}
	refs = c.Rules[2].KeyGroups[0].Keys
	if len(refs) != 2 || refs[0].Alias != "l1" || refs[0].Via != "list" || refs[0].Pos.Line != 14 || refs[1].Pos.Line != 14 {
		t.Errorf("list alias refs %+v", refs)
	}
	lit := c.Rules[0].KeyGroups[0].Keys[0]
	if lit.Alias != "" || lit.Via != "" || lit.Pos.Line != 11 {
		t.Errorf("literal ref %+v", lit)
	}
}

func TestGroupAliasesAndMergeKeys(t *testing.T) {
	src := `common: &common
  age: [age1common]
  agez: typo
defaults: &defaults
  path_regex: shared
  pgp: P
creation_rules:
  - <<: *defaults
    age: age1own
    path_regexp: oops
  - key_groups:
      - *common
      - merge: [*common]
        age: [age1x]
`
	c := mustParse(t, src)
	r := c.Rules[0]
	if r.PathRegex != "shared" || r.PathRegexPos.Line != 5 || len(r.UnknownFields) != 1 || r.UnknownFields[0].Name != "path_regexp" {
		t.Errorf("merged rule %+v", r)
	}
	if got := groupStrings(&r); !slices.Equal(got[0], []string{"age:age1own", "pgp:P"}) {
		t.Errorf("merged rule keys %v", got)
	}
	gs := c.Rules[1].KeyGroups
	if gs[0].Via != "common" || gs[0].Keys[0].Via != "common" || gs[0].Keys[0].Pos.Line != 12 || len(gs[0].UnknownFields) != 1 {
		t.Errorf("group alias %+v", gs[0])
	}
	if k := gs[1].Keys; len(k) != 2 || k[0].Via != "common" || k[0].Pos.Line != 13 || k[1].Value != "age1x" {
		t.Errorf("merge alias %+v", k)
	}
	if c.UnknownFields[0].Name != "common" || c.UnknownFields[1].Name != "defaults" {
		t.Errorf("top-level unknown %+v", c.UnknownFields)
	}
	c = mustParse(t, "creation_rules:\n  - age: a\n    key_groups:\n      - pgp: [P]\n")
	if f := c.Rules[0].IgnoredFields; len(f) != 1 || f[0].Name != "age" || f[0].Pos.Line != 2 {
		t.Errorf("ignored fields %+v", f)
	}
}

func TestFindUp(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b", "c")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := FindUp(deep); err == nil || !strings.Contains(err.Error(), "no .sops.yaml found in "+deep) ||
		!strings.Contains(err.Error(), "--repo DIR") {
		t.Errorf("not found: %v", err)
	}
	if err := os.WriteFile(filepath.Join(root, "a", ".sops.yml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := FindUp(deep); err == nil || !strings.Contains(err.Error(), ".sops.yml is ignored") {
		t.Errorf(".sops.yml hint missing: %v", err)
	}
	want := filepath.Join(root, ".sops.yaml")
	if err := os.WriteFile(want, []byte("creation_rules: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := FindUp(deep); got != want || err != nil {
		t.Errorf("FindUp = %q, %v", got, err)
	}
	if got, err := FindUp(root); got != want || err != nil {
		t.Errorf("FindUp(root) = %q, %v", got, err)
	}
}

// TestGolden compares the parse of every corpus config with
// testdata/golden/NAME.json; KEYCYCLE_UPDATE_GOLDEN=1 rewrites them.
func TestGolden(t *testing.T) {
	corpus := corpusDir(t)
	var files []string
	for _, pattern := range []string{"sops-yaml/*.sops.yaml", "sops-files/generated-sops-3.13.3/.sops.yaml",
		"sops-files/generated-sops-3.13.3/sops_yaml_before_updatekeys.yaml", "sops-files/upstream/*/.sops.yaml"} {
		m, err := filepath.Glob(filepath.Join(corpus, pattern))
		if err != nil || len(m) == 0 {
			t.Fatalf("no files for %s: %v", pattern, err)
		}
		files = append(files, m...)
	}
	update := os.Getenv("KEYCYCLE_UPDATE_GOLDEN") == "1"
	for _, f := range files {
		rel, _ := filepath.Rel(corpus, f)
		name := strings.TrimSuffix(strings.TrimSuffix(filepath.ToSlash(rel), "/.sops.yaml"), ".yaml")
		name = strings.ReplaceAll(strings.TrimSuffix(name, ".sops"), "/", "__")
		t.Run(name, func(t *testing.T) {
			c, err := Load(f)
			var got any = c
			if err != nil {
				got = map[string]string{"error": strings.TrimPrefix(err.Error(), corpus+"/")}
			} else {
				c.Path = rel
			}
			b, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			b = append(b, '\n')
			golden := filepath.Join("testdata", "golden", name+".json")
			if update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, b, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with KEYCYCLE_UPDATE_GOLDEN=1 to create)", err)
			}
			if string(want) != string(b) {
				t.Errorf("%s differs from the golden file; inspect and rerun with KEYCYCLE_UPDATE_GOLDEN=1", golden)
			}
		})
	}
}
