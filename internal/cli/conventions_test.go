package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// commands is every command of keycycle's tree, the root first.
func commands(t *testing.T) []*cobra.Command {
	t.Helper()
	var all []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		all = append(all, c)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(&env{}))
	return all
}

// Every --format is the one formatValue: it refuses what the command
// cannot render while the flags are parsed, and it completes.
func TestEveryFormatFlagValidates(t *testing.T) {
	seen := 0
	for _, c := range commands(t) {
		f := c.Flags().Lookup("format")
		if f == nil {
			continue
		}
		seen++
		v, ok := f.Value.(*formatValue)
		if !ok {
			t.Errorf("%s: --format is a %T, not the shared formatValue", c.CommandPath(), f.Value)
			continue
		}
		if f.DefValue != v.allowed[0] {
			t.Errorf("%s: --format defaults to %q, want the first allowed value %q", c.CommandPath(), f.DefValue, v.allowed[0])
		}
		if err := v.Set("yaml"); err == nil || !strings.Contains(err.Error(), `unknown --format "yaml"`) {
			t.Errorf("%s: --format yaml: err = %v", c.CommandPath(), err)
		}
		if fn, ok := c.GetFlagCompletionFunc("format"); !ok || fn == nil {
			t.Errorf("%s: --format has no completion", c.CommandPath())
		}
	}
	if seen < 10 {
		t.Fatalf("only %d commands have --format; the walk is broken", seen)
	}
}

// Use lines name the arguments, never the flags (--help lists those).
func TestUseLinesHaveNoFlags(t *testing.T) {
	for _, c := range commands(t) {
		if strings.Contains(c.Use, "-") && strings.Contains(c.Use, " ") &&
			(strings.Contains(c.Use, " -") || strings.Contains(c.Use, "[-") || strings.Contains(c.Use, "(-")) {
			t.Errorf("%s: Use %q names flags", c.CommandPath(), c.Use)
		}
	}
}

// --repo reads the same everywhere it means the repository to work on.
func TestRepoFlagOneWording(t *testing.T) {
	for _, c := range commands(t) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Name == "repo" && f.Usage != repoHelp && c.CommandPath() != "keycycle host check" {
				t.Errorf("%s: --repo says %q, want %q", c.CommandPath(), f.Usage, repoHelp)
			}
		})
	}
}

// keycycle man DIR writes one page per command, each naming its command
// and its flags.
func TestManPages(t *testing.T) {
	dir := t.TempDir()
	var out, errOut strings.Builder
	if code := Main(t.Context(), []string{"man", dir}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("keycycle man: exit %d: %s", code, errOut.String())
	}
	root := newRootCmd(&env{})
	want := manCommands(root)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("%d pages for %d commands", len(entries), len(want))
	}
	for _, c := range want {
		if c.Name() == "help" {
			t.Errorf("a page for %s", c.CommandPath())
		}
		data, err := os.ReadFile(filepath.Join(dir, manPageName(c)))
		if err != nil {
			t.Errorf("%s: %v", c.CommandPath(), err)
			continue
		}
		page := string(data)
		if !strings.HasPrefix(page, ".nh\n.TH \""+strings.ToUpper(strings.ReplaceAll(c.CommandPath(), " ", "-"))+"\" \"1\"") {
			t.Errorf("%s: page starts %q", c.CommandPath(), page[:min(len(page), 80)])
		}
		if strings.Contains(page, "Auto generated") {
			t.Errorf("%s: page says it was auto generated", c.CommandPath())
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && !strings.Contains(page, `\fB--`+f.Name+`\fP`) {
				t.Errorf("%s: page lacks --%s", c.CommandPath(), f.Name)
			}
		})
	}
	if !strings.Contains(out.String(), "manual pages written to") {
		t.Errorf("stdout %q", out.String())
	}
}
