package sopsconfig

import (
	"slices"
	"testing"
)

const layoutSrc = `keys:
  - &admins:
    - &rose age1rose
    - &ops age1ops
  - &hosts:
    - &griefling age1grief
    - &sorrow age1sorrow
  - &bob_sorrow age1bob
  - &loner age1loner
creation_rules:
  - path_regex: sops/griefling\.yaml$
    key_groups:
      - age: [*rose, *ops, *griefling]
  - path_regex: sops/sorrow\.yaml$
    key_groups:
      - age: [*rose, *ops, *sorrow, *bob_sorrow]
  - path_regex: sops/loner\.yaml$
    key_groups:
      - age: [*rose, *loner]
  - path_regex: sops/shared\.yaml$
    key_groups:
      - age: [*rose, *griefling, *sorrow, *loner]
  - path_regex: other/.*
    key_groups:
      - age: [*ops, *griefling, *sorrow, *loner]
`

func TestLayout(t *testing.T) {
	l := Layout{Config: mustParse(t, layoutSrc), Dir: "sops"}
	if got, want := l.Hosts(), []string{"griefling", "sorrow", "loner"}; !slices.Equal(got, want) {
		t.Errorf("Hosts = %v, want %v", got, want)
	}
	if got := l.PerHostRule("sorrow"); got != 1 {
		t.Errorf("PerHostRule(sorrow) = %d, want 1", got)
	}
	if got := l.PerHostRule("rose"); got != -1 {
		t.Errorf("PerHostRule(rose) = %d, want -1", got)
	}
	if got, want := l.SharedRules(), []int{3, 4}; !slices.Equal(got, want) {
		t.Errorf("SharedRules = %v, want %v", got, want)
	}
	if got, want := l.Admins(), []string{"rose"}; !slices.Equal(got, want) {
		t.Errorf("Admins = %v, want %v", got, want)
	}
	if got, want := l.UserKeysOf("sorrow"), []string{"bob_sorrow"}; !slices.Equal(got, want) {
		t.Errorf("UserKeysOf(sorrow) = %v, want %v", got, want)
	}
	if got := l.HostFile("sorrow"); got != "sops/sorrow.yaml" {
		t.Errorf("HostFile = %q", got)
	}
}

func TestRuleLists(t *testing.T) {
	c := mustParse(t, layoutSrc)
	if !c.Rules[0].Lists("griefling") || c.Rules[0].Lists("sorrow") {
		t.Errorf("rule 0 lists: griefling %v, sorrow %v", c.Rules[0].Lists("griefling"), c.Rules[0].Lists("sorrow"))
	}
}

func TestCheckNames(t *testing.T) {
	for name, ok := range map[string]bool{"griefling": true, "a-b": true, "-a": false, "a.b": false, "a/b": false, "a_b": false, "": false} {
		if err := CheckHostName(name); (err == nil) != ok {
			t.Errorf("CheckHostName(%q) = %v", name, err)
		}
	}
	for name, ok := range map[string]bool{"bob": true, "bob_sorrow": true, "_x": false, "a b": false} {
		if err := CheckUserName(name); (err == nil) != ok {
			t.Errorf("CheckUserName(%q) = %v", name, err)
		}
	}
}

func TestNamesByValue(t *testing.T) {
	c := mustParse(t, "keys:\n  - &a age1x\n  - &b age1x\n  - &c age1y\ncreation_rules:\n  - age: *a\n")
	n := c.NamesByValue()
	if n["age1x"] != "a" || n["age1y"] != "c" || len(n) != 2 {
		t.Errorf("NamesByValue = %v", n)
	}
	if len((*Config)(nil).NamesByValue()) != 0 {
		t.Error("a nil config names keys")
	}
}

func TestCheckFree(t *testing.T) {
	c := mustParse(t, layoutSrc)
	if err := c.CheckFree("new", "age1new"); err != nil {
		t.Errorf("a free name and key: %v", err)
	}
	if err := c.CheckFree("rose", "age1new"); err == nil {
		t.Error("a taken name passed")
	}
	if err := c.CheckFree("new", "age1rose"); err == nil {
		t.Error("a registered key passed")
	}
}
