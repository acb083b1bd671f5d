package sopsconfig

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// maxExpandedNodes bounds how many nodes alias expansion may add to the
// document. Real configs stay far below (an alias per key per rule); a
// "billion laughs" document goes above it after a few levels.
const maxExpandedNodes = 1_000_000

// checkAliasExpansion refuses documents whose aliases add more than
// maxExpandedNodes nodes when expanded, wherever they are. sops would only
// trip over a bomb inside the fields it decodes ("excessive aliasing");
// keycycle refuses it anywhere, since other tools may expand the whole
// document. The count is memoised per node, so it is linear in the file.
func checkAliasExpansion(file string, doc *yaml.Node) error {
	literal := 0
	walkNodes(doc, func(*yaml.Node) bool { literal++; return true })
	limit := literal + maxExpandedNodes
	add := func(a, b int) int { return min(a+b, limit+1) }
	sizes := map[*yaml.Node]int{}
	var worst *yaml.Node
	worstSize := 0
	var size func(n *yaml.Node) int
	size = func(n *yaml.Node) int {
		if s, ok := sizes[n]; ok {
			return s
		}
		sizes[n] = 1 // in progress: a cycle counts once (decode reports it)
		total := 1
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			total = add(total, size(n.Alias))
			if total > worstSize {
				worst, worstSize = n, total
			}
		}
		for _, c := range n.Content {
			total = add(total, size(c))
		}
		sizes[n] = total
		return total
	}
	if size(doc) <= limit || worst == nil {
		return nil
	}
	return newError(file, worst.Line,
		"aliases expand the document by more than %d nodes (a YAML alias bomb?); the alias *%s here is the largest; remove the nested aliases",
		maxExpandedNodes, worst.Value)
}

// countAliases counts every alias node of the document per anchor name,
// without following aliases.
func countAliases(doc *yaml.Node, uses map[string]int) {
	walkNodes(doc, func(n *yaml.Node) bool {
		if n.Kind == yaml.AliasNode {
			uses[n.Value]++
		}
		return true
	})
}

// collectAnchors fills c.KeysPos, c.Anchors and c.Groups from the
// top-level `keys:` entry of root, and c.OtherAnchors from the rest.
func collectAnchors(c *Config, root *yaml.Node) {
	var keysValue *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i]; k.Kind == yaml.ScalarNode && k.Value == "keys" {
			c.KeysPos = posOf(k)
			keysValue = root.Content[i+1]
		}
	}
	if keysValue != nil {
		walkKeys(c, keysValue, nil)
	}
	walkNodes(root, func(n *yaml.Node) bool {
		if n == keysValue {
			return false
		}
		if n.Kind == yaml.ScalarNode && n.Anchor != "" {
			c.OtherAnchors = append(c.OtherAnchors, Anchor{
				Name: n.Anchor, Value: strings.TrimSpace(n.Value), Pos: posOf(n),
			})
		}
		return true
	})
}

// walkKeys records the anchors inside `keys:`. group is the path above n:
// the mapping keys passed through (an empty key's anchor name for
// Misterio77's `- &users:`), or the anchor name of a list item that is
// itself a list or mapping.
func walkKeys(c *Config, n *yaml.Node, group []string) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Anchor != "" {
			c.Anchors = append(c.Anchors, Anchor{
				Name: n.Anchor, Value: strings.TrimSpace(n.Value),
				Group: clonePath(group), Pos: posOf(n),
			})
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			sub := group
			if item.Anchor != "" && (item.Kind == yaml.SequenceNode || item.Kind == yaml.MappingNode) {
				sub = appendPath(group, item.Anchor)
				addGroup(c, item, item.Anchor, false, group)
			}
			walkKeys(c, item, sub)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			name := k.Value
			if v.Anchor != "" && (v.Kind == yaml.SequenceNode || v.Kind == yaml.MappingNode) {
				addGroup(c, v, v.Anchor, false, group)
			} else if name == "" && k.Anchor != "" {
				// Misterio77's `- &users:` is a mapping whose empty key
				// carries the anchor; the list is the key's value.
				name = k.Anchor
				addGroup(c, v, k.Anchor, true, group)
			}
			walkKeys(c, v, appendPath(group, name))
		}
	}
}

// addGroup records an anchored list or mapping n inside `keys:`.
func addGroup(c *Config, n *yaml.Node, name string, onKey bool, group []string) {
	c.Groups = append(c.Groups, AnchorGroup{
		Name: name, Group: clonePath(group), Pos: posOf(n), OnKey: onKey,
		Values: scalarValues(n, []string{}),
	})
}

// scalarValues appends the scalar values inside n (mapping values, not
// mapping keys; aliases not followed), trimmed.
func scalarValues(n *yaml.Node, out []string) []string {
	switch n.Kind {
	case yaml.ScalarNode:
		out = append(out, strings.TrimSpace(n.Value))
	case yaml.SequenceNode:
		for _, c := range n.Content {
			out = scalarValues(c, out)
		}
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			out = scalarValues(n.Content[i], out)
		}
	}
	return out
}

// appendPath returns path + name in a new slice.
func appendPath(path []string, name string) []string {
	out := make([]string, 0, len(path)+1)
	return append(append(out, path...), name)
}

// clonePath copies path, nil when empty.
func clonePath(path []string) []string {
	if len(path) == 0 {
		return nil
	}
	return append([]string(nil), path...)
}
