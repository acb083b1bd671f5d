package inventory

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
)

func TestFilterExcludedMatchesAsTheScans(t *testing.T) {
	m := map[string][]byte{"sops/sorrow.yaml": nil, "sops/shared.yaml": nil, "old/sorrow.yaml": nil, "hosts/a.yaml": nil}
	got := slices.Sorted(maps.Keys(filterExcluded(m, []string{"sorrow.yaml", "hosts"})))
	if want := []string{"sops/shared.yaml"}; !slices.Equal(got, want) {
		t.Errorf("left %v, want %v", got, want)
	}
}

func TestDiffNamesTheRevisionItCannotRead(t *testing.T) {
	_, err := Diff(context.Background(), t.TempDir(), "nosuchrev", "", nil, nil)
	var re *RevisionError
	if !errors.As(err, &re) || re.Rev != "nosuchrev" {
		t.Fatalf("err = %v, want a *RevisionError for nosuchrev", err)
	}
}
