package sopsconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"

	"gopkg.in/yaml.v3"
)

// maxConfigSize bounds what Load and Parse accept: a .sops.yaml is a few
// kilobytes; anything near this is not one.
const maxConfigSize = 16 << 20

// Load reads and parses the config file at path (see Parse).
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, newError(path, 0, "cannot read config: %v", unwrapPathError(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, newError(path, 0, "cannot read config: %v", unwrapPathError(err))
	}
	return Parse(path, data)
}

// unwrapPathError drops the path from an *os.PathError: our message
// already starts with it.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Parse parses a .sops.yaml read from path (used in messages and as
// Config.Path). It accepts exactly what sops 3.13.3 accepts: a document
// that sops cannot unmarshal (YAML syntax, a value of the wrong type, a
// duplicate key, excessive aliasing) is an *Error at the line concerned.
// An empty file, a file of comments only or a null document gives a
// Config without creation rules, as in sops. Only the first YAML document
// is read, as sops does (MoreDocuments tells whether there are others).
//
// Problems sops reports only when a rule is used are kept in Rule.Errors;
// path_regex compile errors in Rule.RegexError.
func Parse(path string, data []byte) (*Config, error) {
	if len(data) > maxConfigSize {
		return nil, newError(path, 1, "file is larger than %d MiB; this is not a .sops.yaml", maxConfigSize>>20)
	}
	var doc yaml.Node
	if err := safeUnmarshal(data, &doc); err != nil {
		return nil, syntaxError(path, data, err)
	}
	c := &Config{Path: path, AliasUses: map[string]int{}}
	if doc.Kind == 0 {
		return c, nil
	}
	if err := checkAliasExpansion(path, &doc); err != nil {
		return nil, err
	}
	var cf configFile
	if err := safeDecode(&doc, &cf); err != nil {
		return nil, decodeError(path, &doc, err)
	}
	c.HasCreationRules = cf.CreationRules != nil
	c.DestinationRules = len(cf.DestinationRules)
	c.MoreDocuments = moreDocuments(data)
	countAliases(&doc, c.AliasUses)
	if root := doc.Content[0]; root.Kind == yaml.MappingNode {
		c.UnknownFields = unknownFields(root, isTopField)
		collectAnchors(c, root)
	}
	var cn configNodes
	if err := safeDecode(&doc, &cn); err != nil {
		return nil, decodeError(path, &doc, err)
	}
	for _, n := range nonNull(cn.CreationRules) {
		r, err := buildRule(path, len(c.Rules), n)
		if err != nil {
			return nil, err
		}
		c.Rules = append(c.Rules, r)
	}
	c.compileRegexes()
	return c, nil
}

// safeDecode is n.Decode(v), turning a panic inside yaml.v3 into an error
// (yaml.v3 v3.0.1 panics on an unhashable key next to a merge key).
func safeDecode(n *yaml.Node, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the YAML decoder failed on this file (%v)", r)
		}
	}()
	return n.Decode(v)
}

// moreDocuments reports whether data holds a second YAML document (even
// a broken one).
func moreDocuments(data []byte) (more bool) {
	defer func() {
		if recover() != nil {
			more = true
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var first, second yaml.Node
	if dec.Decode(&first) != nil {
		return false
	}
	return dec.Decode(&second) != io.EOF
}

// nonNull drops the null items of a list, as yaml.v3 does when it decodes
// them into a struct or string element (the decode "fails" silently and
// the item is left out of the slice).
func nonNull(nodes []yaml.Node) []yaml.Node {
	var out []yaml.Node
	for _, n := range nodes {
		if n.ShortTag() != "!!null" {
			out = append(out, n)
		}
	}
	return out
}

// compileRegexes compiles every rule's path_regex once, so that Match
// needs no lock and no cache.
func (c *Config) compileRegexes() {
	c.regexes = make([]*regexp.Regexp, len(c.Rules))
	for i := range c.Rules {
		r := &c.Rules[i]
		if r.PathRegex == "" {
			continue
		}
		re, err := regexp.Compile(r.PathRegex)
		if err != nil {
			r.RegexError = err.Error()
			continue
		}
		c.regexes[i] = re
	}
}

// unknownFields lists the keys of mapping m that known rejects, including
// keys of mappings merged in with `<<` (sops ignores those too).
func unknownFields(m *yaml.Node, known func(string) bool) []Field {
	var out []Field
	seen := map[*yaml.Node]bool{}
	var walk func(m *yaml.Node)
	walk = func(m *yaml.Node) {
		m = resolveAlias(m)
		if m == nil || seen[m] {
			return
		}
		seen[m] = true
		switch m.Kind {
		case yaml.SequenceNode:
			for _, e := range m.Content {
				walk(e)
			}
			return
		case yaml.MappingNode:
		default:
			return
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			k := m.Content[i]
			if k.Kind == yaml.ScalarNode && k.Value == "<<" {
				walk(m.Content[i+1])
				continue
			}
			if !known(k.Value) {
				out = append(out, Field{Name: k.Value, Pos: posOf(k)})
			}
		}
	}
	walk(m)
	return out
}

// resolveAlias follows an alias node to its target.
func resolveAlias(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode {
		return n.Alias
	}
	return n
}

// posOf is the position of a node.
func posOf(n *yaml.Node) Pos {
	return Pos{Line: n.Line, Column: n.Column}
}

// keyPos is the position of key name in mapping m (merged mappings not
// searched), or fallback.
func keyPos(m *yaml.Node, name string, fallback Pos) Pos {
	if m = resolveAlias(m); m != nil && m.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == name {
				return posOf(k)
			}
		}
	}
	return fallback
}
