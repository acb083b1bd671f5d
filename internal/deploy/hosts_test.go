package deploy

import (
	"testing"

	"github.com/keycycle/keycycle/internal/policy"
)

func TestTargetsOf(t *testing.T) {
	cfg, err := policy.ParseConfig(policy.ConfigFile, []byte("version: 1\nhosts:\n  malphas:\n    ssh: root@nas\n  griefling: {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := TargetsOf([]string{"griefling", "malphas"}, &policy.Policy{Config: cfg})
	want := []Target{{Host: "griefling", SSH: "griefling"}, {Host: "malphas", SSH: "root@nas"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("TargetsOf = %+v, want %+v", got, want)
	}
	if got := TargetsOf([]string{"x"}, &policy.Policy{}); len(got) != 1 || got[0].SSH != "x" {
		t.Errorf("without keycycle.yaml: %+v", got)
	}
}
