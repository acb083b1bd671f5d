package configedit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// corpusDir locates /work/shared/corpus relative to this file, or skips.
func corpusDir(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Skip("cannot locate the test file")
	}
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared corpus not found at %s: %v", dir, err)
	}
	return dir
}

// corpusFile reads a file of corpus/sops-yaml.
func corpusFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir(t), "sops-yaml", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// mustNew makes an Editor or fails the test.
func mustNew(t *testing.T, name string, data []byte) *Editor {
	t.Helper()
	e, err := New(name, data)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

// counts returns how many lines were added and removed between old and
// new, a difference in the final newline aside (edits keep it as it was).
func counts(old, new []byte) (added, removed int) {
	withNL := func(b []byte) []byte {
		if len(b) > 0 && !bytes.HasSuffix(b, []byte("\n")) {
			return append(bytes.Clone(b), '\n')
		}
		return b
	}
	for _, op := range editScript(splitKeep(withNL(old)), splitKeep(withNL(new))) {
		switch op.kind {
		case opInsert:
			added++
		case opDelete:
			removed++
		}
	}
	return added, removed
}

// ruleIndex finds the rule with path_regex regex.
func ruleIndex(t *testing.T, c *sopsconfig.Config, regex string) int {
	t.Helper()
	for i, r := range c.Rules {
		if r.PathRegex == regex {
			return i
		}
	}
	t.Fatalf("no rule with path_regex %q", regex)
	return -1
}

// aliasesOf lists the alias names of rule i's group g.
func aliasesOf(c *sopsconfig.Config, i, g int) []string {
	var out []string
	for _, k := range c.Rules[i].KeyGroups[g].Keys {
		out = append(out, k.Alias)
	}
	return out
}

// usesAnywhere reports whether any rule key or anchor refers to name.
func usesAnywhere(c *sopsconfig.Config, name string) bool {
	if c.AliasUses[name] > 0 || slices.ContainsFunc(c.Anchors, func(a sopsconfig.Anchor) bool { return a.Name == name }) {
		return true
	}
	for _, r := range c.Rules {
		for _, g := range r.KeyGroups {
			for _, k := range g.Keys {
				if k.Alias == name {
					return true
				}
			}
		}
	}
	return false
}

// wantKind checks that err is an *Error of kind.
func wantKind(t *testing.T, err, kind error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, kind) {
		t.Fatalf("want %v, got %v", kind, err)
	}
	return e
}
