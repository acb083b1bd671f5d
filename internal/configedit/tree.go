package configedit

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// tree is our own yaml.v3 node walk of the file: the positions, styles
// and parents that sopsconfig does not keep. Each operation parses its own
// tree, plans the text edit from it, then changes the tree the way the
// text edit should change the document (the expected result).
type tree struct {
	doc    *yaml.Node
	root   *yaml.Node // the top-level mapping; nil for an empty document
	order  []*yaml.Node
	index  map[*yaml.Node]int
	end    map[*yaml.Node]int // index in order after the node's subtree
	parent map[*yaml.Node]*yaml.Node
}

// parseTree parses src (one document; sopsconfig has already accepted it).
func parseTree(src []byte) (t *tree, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the YAML parser failed (%v)", r)
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	t = &tree{doc: &doc, index: map[*yaml.Node]int{}, end: map[*yaml.Node]int{}, parent: map[*yaml.Node]*yaml.Node{}}
	if doc.Kind == 0 {
		doc.Kind = yaml.DocumentNode
		return t, nil
	}
	if len(doc.Content) == 1 {
		switch root := doc.Content[0]; {
		case root.Kind == yaml.MappingNode:
			t.root = root
		case root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null":
		default:
			return nil, fmt.Errorf("the document is not a mapping")
		}
	}
	t.walk(&doc, nil)
	return t, nil
}

// walk records n and its subtree in document order.
func (t *tree) walk(n, parent *yaml.Node) {
	t.index[n] = len(t.order)
	t.order = append(t.order, n)
	t.parent[n] = parent
	for _, c := range n.Content {
		t.walk(c, n)
	}
	t.end[n] = len(t.order)
}

// treeOf indexes doc (an expected tree, after planning changed it).
func treeOf(doc *yaml.Node) *tree {
	t := &tree{doc: doc, index: map[*yaml.Node]int{}, end: map[*yaml.Node]int{}, parent: map[*yaml.Node]*yaml.Node{}}
	if len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode {
		t.root = doc.Content[0]
	}
	t.walk(doc, nil)
	return t
}

// groupAnchors lists the anchors of the groups that hold n: anchored
// lists and mappings above it, and anchored keys whose value holds it
// (Misterio77's `- &hosts:`).
func (t *tree) groupAnchors(n *yaml.Node) []string {
	var out []string
	for c, p := n, t.parent[n]; p != nil; c, p = p, t.parent[p] {
		if p.Anchor != "" && p.Kind != yaml.DocumentNode {
			out = append(out, p.Anchor)
		}
		if k := t.keyOf(c); k != nil && k.Anchor != "" {
			out = append(out, k.Anchor)
		}
	}
	return out
}

// rulesUsing returns, for each creation rule (null items left out, as
// sopsconfig does), whether an alias inside it names one of anchors.
func (t *tree) rulesUsing(anchors []string) []bool {
	_, seq := t.top("creation_rules")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	var out []bool
	for _, it := range seq.Content {
		if it.ShortTag() == "!!null" {
			continue
		}
		uses := false
		for _, n := range t.order[t.index[it]:t.end[it]] {
			uses = uses || n.Kind == yaml.AliasNode && slices.Contains(anchors, n.Value)
		}
		out = append(out, uses)
	}
	return out
}

// next is the first node after n's subtree in document order, or nil.
func (t *tree) next(n *yaml.Node) *yaml.Node {
	if i, ok := t.end[n]; ok && i < len(t.order) {
		return t.order[i]
	}
	return nil
}

// inSubtree reports whether m is n or below it.
func (t *tree) inSubtree(n, m *yaml.Node) bool {
	i, j := t.index[n], t.index[m]
	return j >= i && j < t.end[n]
}

// mapGet finds key in mapping m: the key and value nodes, and the key's
// index in m.Content (-1 when absent). Merged mappings are not searched.
func mapGet(m *yaml.Node, key string) (k, v *yaml.Node, i int) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil, -1
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if c := m.Content[i]; c.Kind == yaml.ScalarNode && c.Value == key {
			return c, m.Content[i+1], i
		}
	}
	return nil, nil, -1
}

// hasMergeKey reports whether mapping m merges another one in (`<<:`).
func hasMergeKey(m *yaml.Node) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == "<<" {
			return true
		}
	}
	return false
}

// keyOf is the mapping key whose value is v, or nil.
func (t *tree) keyOf(v *yaml.Node) *yaml.Node {
	p := t.parent[v]
	if p == nil || p.Kind != yaml.MappingNode {
		return nil
	}
	for i := 1; i < len(p.Content); i += 2 {
		if p.Content[i] == v {
			return p.Content[i-1]
		}
	}
	return nil
}

// inFlow reports whether n or one of its ancestors is a flow collection.
func (t *tree) inFlow(n *yaml.Node) bool {
	for ; n != nil; n = t.parent[n] {
		if (n.Kind == yaml.SequenceNode || n.Kind == yaml.MappingNode) && n.Style&yaml.FlowStyle != 0 {
			return true
		}
	}
	return false
}

// anchored lists every node with anchor name, in document order.
func (t *tree) anchored(name string) []*yaml.Node {
	var out []*yaml.Node
	for _, n := range t.order {
		if n.Anchor == name && n.Kind != yaml.AliasNode {
			out = append(out, n)
		}
	}
	return out
}

// aliases lists every alias node *name, in document order.
func (t *tree) aliases(name string) []*yaml.Node {
	var out []*yaml.Node
	for _, n := range t.order {
		if n.Kind == yaml.AliasNode && n.Value == name {
			out = append(out, n)
		}
	}
	return out
}

// top returns the value of a top-level key and its key node.
func (t *tree) top(key string) (k, v *yaml.Node) {
	k, v, _ = mapGet(t.root, key)
	return k, v
}

// fingerprint renders a document for comparison: kinds, tags, anchors,
// values and alias names in order; positions, styles and comments left
// out. Two documents with the same fingerprint hold the same data.
func fingerprint(n *yaml.Node) string {
	var b strings.Builder
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Kind {
		case yaml.DocumentNode:
			b.WriteString("doc(")
		case yaml.ScalarNode:
			fmt.Fprintf(&b, "s&%q%s%q ", n.Anchor, n.ShortTag(), n.Value)
			return
		case yaml.AliasNode:
			fmt.Fprintf(&b, "*%q ", n.Value)
			return
		case yaml.SequenceNode:
			fmt.Fprintf(&b, "seq&%q%s[", n.Anchor, n.ShortTag())
		case yaml.MappingNode:
			fmt.Fprintf(&b, "map&%q%s{", n.Anchor, n.ShortTag())
		default:
			b.WriteString("empty ")
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
		b.WriteString(") ")
	}
	walk(n)
	return b.String()
}

// newScalar makes a string scalar node (the expected tree's new nodes).
func newScalar(value, anchor string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value, Anchor: anchor}
}

// newAlias makes an alias node *name.
func newAlias(name string) *yaml.Node {
	return &yaml.Node{Kind: yaml.AliasNode, Value: name}
}

// newSeq makes a sequence node.
func newSeq(anchor string, items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Anchor: anchor, Content: items}
}

// newMap makes a mapping node from key/value pairs.
func newMap(pairs ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: pairs}
}

// insertNodes inserts nodes into parent.Content at i.
func insertNodes(parent *yaml.Node, i int, nodes ...*yaml.Node) {
	parent.Content = slices.Insert(parent.Content, i, nodes...)
}

// removeNode removes child (and, in a mapping, its key or value) from
// parent.Content.
func removeNode(parent, child *yaml.Node) {
	for i, c := range parent.Content {
		if c != child {
			continue
		}
		if parent.Kind == yaml.MappingNode {
			i -= i % 2
			parent.Content = slices.Delete(parent.Content, i, i+2)
		} else {
			parent.Content = slices.Delete(parent.Content, i, i+1)
		}
		return
	}
}
