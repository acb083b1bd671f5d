package policy

import (
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Pos is a 1-based position in a file; Line 0 means unknown.
type Pos struct {
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
}

func posOf(n *yaml.Node) Pos {
	if n == nil {
		return Pos{}
	}
	return Pos{Line: n.Line, Column: n.Column}
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 8; i++ {
		n = n.Alias
	}
	return n
}

// pair is one key and value of a mapping.
type pair struct {
	key, val *yaml.Node
}

// mapping returns the entries of a mapping node, reporting a node of
// another kind and duplicate keys. A null node is an empty mapping.
func (c *errs) mapping(n *yaml.Node, what string) []pair {
	n = deref(n)
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		c.at(n, "%s must be a mapping, not %s", what, kindName(n))
		return nil
	}
	seen := map[string]bool{}
	var out []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			c.at(n.Content[i], "a key in %s must be a plain name, not %s", what, kindName(k))
			continue
		}
		if seen[k.Value] {
			c.at(k, "%q is given twice in %s", k.Value, what)
			continue
		}
		seen[k.Value] = true
		out = append(out, pair{k, v})
	}
	return out
}

// sequence returns the items of a sequence node; a scalar counts as a
// one-item list when single is true.
func (c *errs) sequence(n *yaml.Node, what string, single bool) []*yaml.Node {
	n = deref(n)
	switch {
	case n == nil || isNull(n):
		return nil
	case n.Kind == yaml.SequenceNode:
		out := make([]*yaml.Node, 0, len(n.Content))
		for _, item := range n.Content {
			out = append(out, deref(item))
		}
		return out
	case single && n.Kind == yaml.ScalarNode:
		return []*yaml.Node{n}
	}
	c.at(n, "%s must be a list, not %s", what, kindName(n))
	return nil
}

// scalar returns a string scalar's value, reporting any other kind.
func (c *errs) scalar(n *yaml.Node, what string) (string, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || isNull(n) {
		c.at(n, "%s must be a string, not %s", what, kindName(n))
		return "", false
	}
	return n.Value, true
}

// boolean returns a YAML boolean's value.
func (c *errs) boolean(n *yaml.Node, what string) (bool, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		c.at(n, "%s must be true or false, not %s", what, kindName(n))
		return false, false
	}
	return strings.EqualFold(n.Value, "true") || strings.EqualFold(n.Value, "yes") || strings.EqualFold(n.Value, "on"), true
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// kindName describes a node for an error message.
func kindName(n *yaml.Node) string {
	n = deref(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "empty"
		case "!!int", "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		}
		return "the string " + quote(n.Value)
	}
	return "an unexpected YAML node"
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return `"` + s + `"`
}

// namePattern is what a category, role or host name may be: it becomes a
// file name (sops/<host>.yaml) and appears in messages.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// name checks a mapping key used as a name.
func (c *errs) name(k *yaml.Node, what string) bool {
	if !namePattern.MatchString(k.Value) || len(k.Value) > 128 {
		c.at(k, "%s name %s is not a name: use letters, digits, '.', '_' and '-', starting with a letter or digit", what, quote(k.Value))
		return false
	}
	return true
}

// unknown reports a field that is not one of known.
func (c *errs) unknown(k *yaml.Node, where string, known ...string) {
	c.at(k, "unknown field %q in %s (known: %s)", k.Value, where, strings.Join(known, ", "))
}
