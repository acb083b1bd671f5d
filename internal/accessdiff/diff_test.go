package accessdiff

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/keycycle/keycycle/internal/textutil"
)

func TestFilterExcludedMatchesAsTheScans(t *testing.T) {
	m := map[string][]byte{"sops/sorrow.yaml": nil, "sops/shared.yaml": nil, "old/sorrow.yaml": nil, "hosts/a.yaml": nil}
	got := slices.Sorted(maps.Keys(filterExcluded(m, []string{"sorrow.yaml", "hosts"})))
	if want := []string{"sops/shared.yaml"}; !slices.Equal(got, want) {
		t.Errorf("left %v, want %v", got, want)
	}
}

func TestDiffNamesTheRevisionItCannotRead(t *testing.T) {
	_, err := Between(context.Background(), t.TempDir(), "nosuchrev", "", nil, nil)
	var re *RevisionError
	if !errors.As(err, &re) || re.Rev != "nosuchrev" {
		t.Fatalf("err = %v, want a *RevisionError for nosuchrev", err)
	}
}

func TestDiffRevisionsHintsAtTheRevision(t *testing.T) {
	_, err := Revisions(context.Background(), t.TempDir(), []string{"nosuchrev"}, nil, nil)
	if err == nil || !strings.HasPrefix(err.Error(), `cannot read revision "nosuchrev": `) || textutil.HintOf(err) == "" {
		t.Fatalf("err = %v, want a hint naming the revision", err)
	}
}

// TestDiffReportText pins the text of 'keycycle diff': names, else whole
// recipients, and what the removed keys can still read.
func TestDiffReportText(t *testing.T) {
	yes, no := true, false
	var b strings.Builder
	(&Report{From: "HEAD", To: "working tree"}).WriteText(&b)
	(&Report{Files: []File{
		{File: "a.yaml", Status: "changed", Gained: []Key{{Name: "web"}}, Lost: []Key{{Recipient: "age1x"}}, DataKeyRotated: &yes},
		{File: "b.yaml", Status: "changed", Lost: []Key{{Name: "old"}}, DataKeyRotated: &no},
		{File: "c.yaml", Status: "changed", Lost: []Key{{Name: "old"}}},
		{File: "d.yaml", Status: "added", Gained: []Key{{Name: "web"}}},
	}}).WriteText(&b)
	want := `no change in who can decrypt what between HEAD and working tree
a.yaml: changed +web -age1x (new data key)
b.yaml: changed -old (same data key: the removed keys can still read this content)
c.yaml: changed -old (values not re-encrypted: the removed keys can still read this content)
d.yaml: added +web
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
