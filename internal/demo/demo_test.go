package demo_test

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/keycycle/keycycle/internal/check"
	"github.com/keycycle/keycycle/internal/demo"
	"github.com/keycycle/keycycle/internal/repo"
	"github.com/keycycle/keycycle/internal/sopsfile"
)

// TestDemoFindings builds the demo repository and requires check to find
// exactly the planted problems.
func TestDemoFindings(t *testing.T) {
	dir := t.TempDir()
	if _, err := demo.Build(dir); err != nil {
		t.Fatal(err)
	}
	r, err := repo.Load(context.Background(), filepath.Join(dir, ".sops.yaml"), sopsfile.Backend{}, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep := check.Run(r)
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.ID+" "+f.File+" "+f.Anchor)
		t.Logf("%s:%d %s %s %s (hint: %s)", f.File, f.Line, f.Severity, f.ID, f.Message, f.Hint)
	}
	sort.Strings(got)
	want := []string{
		"KC004 .sops.yaml oldlaptop",
		"KC102 sops/sorrow.yaml sorrow",
		"KC103 sops/sorrow.yaml oldlaptop",
		"KC105 sops/todo.yaml ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if rep.Errors != 2 || rep.Warnings != 2 {
		t.Errorf("errors %d warnings %d, want 2 and 2", rep.Errors, rep.Warnings)
	}
}
