package policy

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// The kinds of generator keycycle.yaml may declare.
const (
	GenPassword   = "password"
	GenHex        = "hex"
	GenBase64     = "base64"
	GenAgeKey     = "age-key"
	GenSSHEd25519 = "ssh-ed25519"
	GenWireGuard  = "wireguard"
	GenCommand    = "command"
)

// GeneratorKinds lists every kind, in the order the docs give them.
var GeneratorKinds = []string{GenPassword, GenHex, GenBase64, GenAgeKey, GenSSHEd25519, GenWireGuard, GenCommand}

// Defaults of the built-in generators.
const (
	DefaultPasswordLength = 32
	DefaultAlphabet       = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	DefaultBytes          = 32
	maxGenSize            = 4096
)

// Generator says how the value of one secret path is made
// (`generators:` in keycycle.yaml).
type Generator struct {
	// Path is the secret path it makes (keys joined with '/').
	Path string `json:"path"`
	Pos  Pos    `json:"pos"`
	Kind string `json:"kind"`
	// Length and Alphabet shape a password.
	Length   int    `json:"length,omitempty"`
	Alphabet string `json:"alphabet,omitempty"`
	// Bytes is how many random bytes hex and base64 encode.
	Bytes int `json:"bytes,omitempty"`
	// PublicFile (a repository-relative path, {host} allowed) and
	// PublicSecret (a secret path in the same file) receive the public
	// half of an age-key, ssh-ed25519 or wireguard key.
	PublicFile   string `json:"public_file,omitempty"`
	PublicSecret string `json:"public_secret,omitempty"`
	// Comment ends an ssh-ed25519 public key.
	Comment string `json:"comment,omitempty"`
	// Command is run (no shell) to print the value on its stdout.
	Command []string `json:"command,omitempty"`
}

// HasPublic says whether the kind has a public half.
func (g *Generator) HasPublic() bool {
	return g.Kind == GenAgeKey || g.Kind == GenSSHEd25519 || g.Kind == GenWireGuard
}

// Generator returns the generator declared for a secret path, or nil.
func (c *Config) Generator(path string) *Generator {
	for _, g := range c.Generators {
		if g.Path == path {
			return g
		}
	}
	return nil
}

// genFields are the fields each kind takes besides kind.
var genFields = map[string][]string{
	GenPassword:   {"length", "alphabet"},
	GenHex:        {"bytes"},
	GenBase64:     {"bytes"},
	GenAgeKey:     {"public_file", "public_secret"},
	GenSSHEd25519: {"public_file", "public_secret", "comment"},
	GenWireGuard:  {"public_file", "public_secret"},
	GenCommand:    {"command"},
}

// parseGenerator reads `path: KIND` or `path: {kind, …}`.
func parseGenerator(c *errs, p pair) *Generator {
	if msg := secretPathProblem(p.key.Value); msg != "" {
		c.at(p.key, "generator %s is not a secret path: %s", quote(p.key.Value), msg)
		return nil
	}
	g := &Generator{Path: p.key.Value, Pos: posOf(p.key)}
	what := "generator " + g.Path
	v := deref(p.val)
	if v != nil && v.Kind == yaml.ScalarNode && !isNull(v) {
		g.Kind = v.Value
		if !checkKind(c, v, g) {
			return nil
		}
		return withDefaults(g)
	}
	pairs := c.mapping(p.val, what+" (a kind, or a mapping with kind:)")
	for _, q := range pairs {
		if q.key.Value == "kind" {
			g.Kind, _ = c.scalar(q.val, what+": kind")
			if !checkKind(c, deref(q.val), g) {
				return nil
			}
		}
	}
	if g.Kind == "" {
		if v != nil && v.Kind == yaml.MappingNode {
			c.at(v, "%s has no kind: (one of %s)", what, strings.Join(GeneratorKinds, ", "))
		}
		return nil
	}
	for _, q := range pairs {
		if q.key.Value != "kind" {
			genField(c, g, q)
		}
	}
	if g.Kind == GenCommand && len(g.Command) == 0 {
		c.atPos(g.Pos, "%s of kind command needs command: [program, args…]", what)
	}
	if g.PublicSecret != "" && g.PublicSecret == g.Path {
		c.atPos(g.Pos, "%s: public_secret is the secret itself", what)
	}
	return withDefaults(g)
}

func checkKind(c *errs, n *yaml.Node, g *Generator) bool {
	if _, ok := genFields[g.Kind]; !ok {
		c.at(n, "generator %s has unknown kind %s (known: %s)", g.Path, quote(g.Kind), strings.Join(GeneratorKinds, ", "))
		return false
	}
	return true
}

// genField reads one field of a generator mapping.
func genField(c *errs, g *Generator, q pair) {
	what := "generator " + g.Path
	if !slices.Contains(genFields[g.Kind], q.key.Value) {
		c.unknown(q.key, what+" (kind "+g.Kind+")", append([]string{"kind"}, genFields[g.Kind]...)...)
		return
	}
	switch q.key.Value {
	case "length":
		g.Length = c.size(q.val, what+": length")
	case "bytes":
		g.Bytes = c.size(q.val, what+": bytes")
	case "alphabet":
		if s, ok := c.scalar(q.val, what+": alphabet"); ok {
			if msg := alphabetProblem(s); msg != "" {
				c.at(q.val, "%s: alphabet %s", what, msg)
			}
			g.Alphabet = s
		}
	case "public_file":
		if s, ok := c.scalar(q.val, what+": public_file"); ok {
			if msg := filePathProblem(s, true); msg != "" {
				c.at(q.val, "%s: public_file %s", what, msg)
			}
			g.PublicFile = s
		}
	case "public_secret":
		if s, ok := c.scalar(q.val, what+": public_secret"); ok {
			if msg := secretPathProblem(s); msg != "" {
				c.at(q.val, "%s: public_secret is not a secret path: %s", what, msg)
			}
			g.PublicSecret = s
		}
	case "comment":
		g.Comment, _ = c.scalar(q.val, what+": comment")
	case "command":
		for _, item := range c.sequence(q.val, what+": command", false) {
			if s, ok := c.scalar(item, "an argument of "+what+": command"); ok {
				g.Command = append(g.Command, s)
			}
		}
	}
}

// size reads a positive integer up to maxGenSize.
func (c *errs) size(n *yaml.Node, what string) int {
	v := deref(n)
	if v == nil || v.Kind != yaml.ScalarNode || v.Tag != "!!int" {
		c.at(n, "%s must be a whole number, not %s", what, kindName(n))
		return 0
	}
	i, err := strconv.Atoi(v.Value)
	if err != nil || i < 1 || i > maxGenSize {
		c.at(v, "%s must be between 1 and %d, not %s", what, maxGenSize, v.Value)
		return 0
	}
	return i
}

func alphabetProblem(s string) string {
	seen := map[rune]bool{}
	for _, r := range s {
		if r == utf8.RuneError || r < ' ' || r == 0x7f {
			return "holds a control character or invalid UTF-8"
		}
		if seen[r] {
			return "repeats " + strconv.QuoteRune(r) + " (every character must be as likely as the others)"
		}
		seen[r] = true
	}
	if len(seen) < 2 {
		return "needs at least two characters"
	}
	return ""
}

func withDefaults(g *Generator) *Generator {
	switch g.Kind {
	case GenPassword:
		if g.Length == 0 {
			g.Length = DefaultPasswordLength
		}
		if g.Alphabet == "" {
			g.Alphabet = DefaultAlphabet
		}
	case GenHex, GenBase64:
		if g.Bytes == 0 {
			g.Bytes = DefaultBytes
		}
	}
	return g
}
