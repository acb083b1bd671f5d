package keypath

import (
	"slices"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string][]string{
		"passwords/borg": {"passwords", "borg"},
		"env_hass_token": {"env_hass_token"},
		"a/b/c.d-e":      {"a", "b", "c.d-e"},
	} {
		got, err := Parse(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("Parse(%q) = %q, %v", in, got, err)
		}
		if Format(got) != in {
			t.Errorf("Format(Parse(%q)) = %q", in, Format(got))
		}
	}
	for _, bad := range []string{"", "/a", "a/", "a//b", "a b", "a/../b", "./a", "sops", "sops/mac", "a\tb"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q): no error", bad)
		}
	}
}

func TestWithin(t *testing.T) {
	if !Within("a/b", "a") || !Within("a", "a") || Within("ab", "a") || Within("a", "a/b") {
		t.Error("Within")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"passwords/borg", "a//b", "sops/x", "../a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		keys, err := Parse(s)
		if err == nil && Format(keys) != s {
			t.Fatalf("Format(Parse(%q)) = %q", s, Format(keys))
		}
	})
}
