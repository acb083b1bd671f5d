package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// Every command and every flag is documented, as chezmoi checks its own:
// each command ('keycycle check', or 'host add' below the top level)
// appears in README.md or a page of docs/, and each of its flags in a
// page that names the command, or, for the flags every changing command
// shares, in docs/changes.md. A new command or flag fails this test
// until the docs say what it does.
func TestDocsNameEveryCommandAndFlag(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no docs/*.md: %v", err)
	}
	files = append(files, filepath.Join("..", "..", "README.md"))
	docs := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs[filepath.Base(f)] = string(data)
	}
	word := func(s string) *regexp.Regexp {
		return regexp.MustCompile(`(^|[^\w-])` + regexp.QuoteMeta(s) + `($|[^\w-])`)
	}
	shared := map[string]bool{"repo": true, "dry-run": true, "format": true, "exclude": true,
		"commit": true, "no-commit": true, "lock-timeout": true}
	for _, c := range commands(t) {
		if c.Name() == "help" || c.Hidden {
			continue
		}
		name := c.CommandPath()
		if c.HasParent() && c.Parent().HasParent() {
			name = strings.TrimPrefix(name, c.Root().Name()+" ")
		}
		path := word(name)
		var pages []string
		for name, text := range docs {
			if path.MatchString(text) {
				pages = append(pages, name)
			}
		}
		if len(pages) == 0 {
			t.Errorf("%s: no page of docs/ nor README.md names it", c.CommandPath())
			continue
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden || f.Name == "help" {
				return
			}
			flag := word("--" + f.Name)
			if shared[f.Name] && flag.MatchString(docs["changes.md"]) {
				return
			}
			for _, p := range pages {
				if flag.MatchString(docs[p]) {
					return
				}
			}
			t.Errorf("%s --%s: not in %s, the pages naming the command", c.CommandPath(), f.Name, strings.Join(pages, ", "))
		})
	}
}
