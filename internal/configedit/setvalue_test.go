package configedit

import (
	"errors"
	"strings"
	"testing"
)

const (
	svOld   = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
	svNew   = "age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg"
	svAdmin = "age1cy0su9fwf3gf9mw868g5yut09p6nytfmmnktexz2ya5uqg9vl9sss4euqm"
)

func TestSetValue(t *testing.T) {
	src := "keys:\n  hosts:\n    - &ghost " + svOld + " # reinstalled 2026\n" +
		"  users:\n    - &rain '" + svAdmin + "'\n" +
		"creation_rules:\n  - path_regex: sops/ghost\\.yaml$\n    key_groups:\n      - age: [*rain, *ghost]\n" +
		"  - path_regex: sops/shared\\.yaml$\n    key_groups:\n      - age:\n          - *rain\n          - *ghost\n"
	e := mustNew(t, ".sops.yaml", []byte(src))
	if err := e.SetValue("ghost", svNew); err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(src, svOld, svNew, 1)
	if got := string(e.Bytes()); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	for _, r := range e.Config().Rules {
		if r.KeyGroups[0].Keys[1].Value != svNew {
			t.Errorf("rule %d lists %s", r.Index, r.KeyGroups[0].Keys[1].Value)
		}
	}
	// a quoted value is replaced inside its quotes
	if err := e.SetValue("rain", svOld); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(e.Bytes()), "&rain '"+svOld+"'") {
		t.Errorf("quoted value not replaced in place:\n%s", e.Bytes())
	}
	if err := e.SetValue("ghost", svNew); !errors.Is(err, ErrAlreadyPresent) {
		t.Errorf("same value: %v, want ErrAlreadyPresent", err)
	}
	if err := e.SetValue("ghost", svOld); !errors.Is(err, ErrInvalid) {
		t.Errorf("another anchor's value: %v, want ErrInvalid", err)
	}
	if err := e.SetValue("nobody", svAdmin); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown anchor: %v, want ErrNotFound", err)
	}
}

func TestSetValueRefusesLiteral(t *testing.T) {
	src := "keys:\n  - &ghost " + svOld + "\ncreation_rules:\n  - age: " + svOld + "\n"
	e := mustNew(t, ".sops.yaml", []byte(src))
	err := e.SetValue("ghost", svNew)
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "write it as *ghost") {
		t.Fatalf("got %v", err)
	}
	if string(e.Bytes()) != src {
		t.Error("text changed on a refusal")
	}
}

// A key inside an anchored group that rules alias whole (vipulog's
// `hosts: &hosts [...]`, `age: *hosts`) changes everywhere the group is
// used.
func TestSetValueInAliasedGroup(t *testing.T) {
	src := "keys:\n  hosts: &hosts\n    - &ghost " + svOld + "\n  admin: &admin\n    - &rain " + svAdmin + "\n" +
		"creation_rules:\n  - path_regex: x$\n    key_groups:\n      - age: *hosts\n"
	e := mustNew(t, ".sops.yaml", []byte(src))
	if err := e.SetValue("ghost", svNew); err != nil {
		t.Fatal(err)
	}
	if got := e.Config().Rules[0].KeyGroups[0].Keys[0].Value; got != svNew {
		t.Fatalf("rule lists %s", got)
	}
	if string(e.Bytes()) != strings.Replace(src, svOld, svNew, 1) {
		t.Fatalf("got\n%s", e.Bytes())
	}
}
