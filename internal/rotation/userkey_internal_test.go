package rotation

import (
	"strings"
	"testing"

	"filippo.io/age"
)

func TestWithoutIdentity(t *testing.T) {
	t.Parallel()
	old, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	for _, c := range []struct{ in, want string }{
		{old.String(), ""},
		{old.String() + "\n", ""},
		{"# rain's keys\n" + old.String() + "\n" + other.String(), "# rain's keys\n" + other.String()},
		{other.String() + "\n" + old.String(), other.String()},
	} {
		got := withoutIdentity(c.in, old.Recipient().String())
		if got != c.want {
			t.Errorf("withoutIdentity(%d lines) = %q, want %q", strings.Count(c.in, "\n")+1, redact(got), redact(c.want))
		}
	}
}

func TestFinishedUserKey(t *testing.T) {
	old, _ := age.GenerateX25519Identity()
	nw, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	o, n := old.Recipient().String(), nw.Recipient().String()
	for _, c := range []struct{ in, want string }{
		{old.String(), nw.String()},
		{"# created: 2025-01-01T00:00:00Z\n# public key: " + o + "\n" + old.String() + "\n",
			"# public key: " + n + "\n" + nw.String()},
		{"# rain\n# public key: " + o + "\n" + old.String() + "\n" + other.String(),
			"# public key: " + n + "\n" + nw.String() + "\n# rain\n" + other.String()},
	} {
		if got := finishedUserKey(nw.String(), c.in, o, n); got != c.want {
			t.Errorf("finishedUserKey = %q, want %q", redact(got), redact(c.want))
		}
	}
}

// redact keeps private keys out of test output.
func redact(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "AGE-SECRET-KEY-") {
			line = "AGE-SECRET-KEY-…"
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}
