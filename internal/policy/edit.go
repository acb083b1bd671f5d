package policy

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// keycycle.yaml is edited as text at the positions yaml.v3 reports, so
// that comments, order and blank lines stay as people wrote them; each
// edit is proven by parsing the result: its data must equal the old data
// with exactly the intended change.

// HostEdit is what SetHost writes for a host; an empty field is left as
// it is (or out, for a new host).
type HostEdit struct {
	Role, SSH string
}

// SetHost returns keycycle.yaml's text with host name under hosts:, its
// role and ssh set where e gives them. A missing hosts: section is added
// at the end.
func SetHost(file string, data []byte, name string, e HostEdit) ([]byte, error) {
	d, err := parseDoc(file, data)
	if err != nil {
		return nil, err
	}
	fields := [][2]string{}
	if e.Role != "" {
		fields = append(fields, [2]string{"role", e.Role})
	}
	if e.SSH != "" {
		fields = append(fields, [2]string{"ssh", e.SSH})
	}
	for _, f := range fields {
		if _, err := plainOrQuoted(f[1]); err != nil {
			return nil, fmt.Errorf("%s: %s %q: %v", file, f[0], f[1], err)
		}
	}
	out, err := d.setHost(name, fields)
	if err != nil {
		return nil, err
	}
	return out, d.prove(out, func(hosts map[string]any) {
		h, _ := hosts[name].(map[string]any)
		if h == nil {
			h = map[string]any{}
		}
		for _, f := range fields {
			h[f[0]] = f[1]
		}
		hosts[name] = h
	})
}

// RemoveHost returns keycycle.yaml's text without host name under hosts:
// (the entry's lines and the comments indented inside it); the text is
// returned unchanged, with false, when there is no such host.
func RemoveHost(file string, data []byte, name string) ([]byte, bool, error) {
	d, err := parseDoc(file, data)
	if err != nil {
		return nil, false, err
	}
	hosts := d.hosts()
	if hosts == nil {
		return data, false, nil
	}
	i := entryIndex(hosts, name)
	if i < 0 {
		return data, false, nil
	}
	if err := d.blockMap(hosts); err != nil {
		return nil, false, err
	}
	first, last := d.entryLines(hosts, i)
	out := d.lines(0, first) + d.lines(last+1, len(d.text))
	return []byte(out), true, d.prove([]byte(out), func(hosts map[string]any) { delete(hosts, name) })
}

// doc is keycycle.yaml being edited.
type doc struct {
	file string
	data []byte
	text []string // lines with their "\n"
	root *yaml.Node
}

func parseDoc(file string, data []byte) (*doc, error) {
	if bytes.Contains(data, []byte("\r")) {
		return nil, fmt.Errorf("%s: has \\r line ends; make this edit by hand", file)
	}
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, yamlError(file, err)
	}
	d := &doc{file: file, data: data, text: strings.SplitAfter(string(data), "\n")}
	if len(n.Content) > 0 {
		d.root = n.Content[0]
		if d.root.Kind != yaml.MappingNode || d.root.Style&yaml.FlowStyle != 0 {
			return nil, fmt.Errorf("%s: the top level is not a block mapping; make this edit by hand", file)
		}
	}
	return d, nil
}

func (d *doc) lines(a, b int) string {
	if a >= b {
		return ""
	}
	return strings.Join(d.text[a:min(b, len(d.text))], "")
}

// hosts returns the value of the top-level hosts: key, or nil.
func (d *doc) hosts() *yaml.Node {
	if d.root == nil {
		return nil
	}
	for i := 0; i+1 < len(d.root.Content); i += 2 {
		if d.root.Content[i].Value == "hosts" {
			return d.root.Content[i+1]
		}
	}
	return nil
}

func (d *doc) blockMap(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode || n.Style&yaml.FlowStyle != 0 || n.Anchor != "" {
		return fmt.Errorf("%s:%d: hosts: is not a plain block mapping; make this edit by hand", d.file, n.Line)
	}
	return nil
}

func entryIndex(m *yaml.Node, name string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == name {
			return i
		}
	}
	return -1
}

// lastLine is the last line (0-based) holding any node of n's subtree.
func lastLine(n *yaml.Node) int {
	l := n.Line - 1
	if n.Kind == yaml.ScalarNode && (n.Style&(yaml.LiteralStyle|yaml.FoldedStyle)) != 0 {
		l += strings.Count(n.Value, "\n")
	}
	for _, c := range n.Content {
		l = max(l, lastLine(c))
	}
	return l
}

// entryLines are the first and last lines (0-based) of entry i of block
// mapping m: from its key to its last node, and the comment lines after
// it indented deeper than the key.
func (d *doc) entryLines(m *yaml.Node, i int) (int, int) {
	k, v := m.Content[i], m.Content[i+1]
	last := max(k.Line-1, lastLine(v))
	for last+1 < len(d.text) {
		t := d.text[last+1]
		body := strings.TrimLeft(t, " ")
		if !strings.HasPrefix(body, "#") || len(t)-len(body) < k.Column {
			break
		}
		last++
	}
	return k.Line - 1, last
}

// setHost plans the text of SetHost.
func (d *doc) setHost(name string, fields [][2]string) ([]byte, error) {
	hosts := d.hosts()
	if hosts == nil {
		var b strings.Builder
		b.WriteString(d.lines(0, len(d.text)))
		if len(d.data) > 0 && !bytes.HasSuffix(d.data, []byte("\n")) {
			b.WriteString("\n")
		}
		b.WriteString("hosts:\n")
		writeEntry(&b, "  ", name, fields)
		return []byte(b.String()), nil
	}
	if hosts.Kind == yaml.ScalarNode && hosts.Tag == "!!null" && hosts.Value == "" {
		var b strings.Builder
		at := hosts.Line // the line after hosts:
		b.WriteString(d.lines(0, at))
		writeEntry(&b, "  ", name, fields)
		b.WriteString(d.lines(at, len(d.text)))
		return []byte(b.String()), nil
	}
	if err := d.blockMap(hosts); err != nil {
		return nil, err
	}
	unit := strings.Repeat(" ", hosts.Content[0].Column-1)
	i := entryIndex(hosts, name)
	if i < 0 {
		_, last := d.entryLines(hosts, len(hosts.Content)-2)
		var b strings.Builder
		b.WriteString(d.lines(0, last+1))
		writeEntry(&b, unit, name, fields)
		b.WriteString(d.lines(last+1, len(d.text)))
		return []byte(b.String()), nil
	}
	return d.updateEntry(hosts.Content[i], hosts.Content[i+1], unit, fields)
}

// writeEntry writes a new host entry at indent ind.
func writeEntry(b *strings.Builder, ind, name string, fields [][2]string) {
	if len(fields) == 0 {
		fmt.Fprintf(b, "%s%s: {}\n", ind, name)
		return
	}
	fmt.Fprintf(b, "%s%s:\n", ind, name)
	for _, f := range fields {
		v, _ := plainOrQuoted(f[1])
		fmt.Fprintf(b, "%s  %s: %s\n", ind, f[0], v)
	}
}

// updateEntry sets fields of an existing host entry k: v.
func (d *doc) updateEntry(k, v *yaml.Node, unit string, fields [][2]string) ([]byte, error) {
	lines := append([]string(nil), d.text...)
	var insert []string
	switch {
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null" && v.Value == "" && v.Line == k.Line:
		for _, f := range fields {
			val, _ := plainOrQuoted(f[1])
			insert = append(insert, fmt.Sprintf("%s  %s: %s\n", unit, f[0], val))
		}
	case v.Kind == yaml.MappingNode && v.Style&yaml.FlowStyle == 0:
		ind := strings.Repeat(" ", v.Content[0].Column-1)
		for _, f := range fields {
			val, _ := plainOrQuoted(f[1])
			j := entryIndex(v, f[0])
			if j < 0 {
				insert = append(insert, fmt.Sprintf("%s%s: %s\n", ind, f[0], val))
				continue
			}
			old := v.Content[j+1]
			if old.Value == f[1] && old.Kind == yaml.ScalarNode {
				continue
			}
			if old.Kind != yaml.ScalarNode || old.Style != 0 || old.Line != v.Content[j].Line {
				return nil, fmt.Errorf("%s:%d: %s of host %s is not a plain value on its line; make this edit by hand", d.file, old.Line, f[0], k.Value)
			}
			l := old.Line - 1
			col := old.Column - 1
			lines[l] = lines[l][:col] + val + lines[l][col+len(old.Value):]
		}
	default:
		return nil, fmt.Errorf("%s:%d: host %s is not written as a block mapping; make this edit by hand", d.file, k.Line, k.Value)
	}
	at := k.Line // after the key's line
	out := strings.Join(lines[:at], "") + strings.Join(insert, "") + strings.Join(lines[at:], "")
	return []byte(out), nil
}

// prove checks that out's data is the old data with hosts changed by
// change, and nothing else.
func (d *doc) prove(out []byte, change func(hosts map[string]any)) error {
	var before, after map[string]any
	if err := yaml.Unmarshal(d.data, &before); err != nil {
		return yamlError(d.file, err)
	}
	if err := yaml.Unmarshal(out, &after); err != nil {
		return fmt.Errorf("%s: refusing the edit: the result does not parse: %v", d.file, err)
	}
	if before == nil {
		before = map[string]any{}
	}
	hosts, _ := before["hosts"].(map[string]any)
	if hosts == nil {
		hosts = map[string]any{}
	}
	change(hosts)
	before["hosts"] = hosts
	if len(hosts) == 0 {
		if _, ok := after["hosts"]; !ok || after["hosts"] == nil {
			before["hosts"] = after["hosts"]
		}
	}
	if !reflect.DeepEqual(before, after) {
		return fmt.Errorf("%s: refusing the edit: it would change more than the host; make it by hand", d.file)
	}
	return nil
}

// plainOrQuoted writes s as a YAML scalar: plain when it reads back as
// the same string, else double-quoted.
func plainOrQuoted(s string) (string, error) {
	if s == "" || strings.ContainsAny(s, "\n\r") {
		return "", fmt.Errorf("must be one non-empty line")
	}
	for _, cand := range []string{s, fmt.Sprintf("%q", s)} {
		var v map[string]any
		if yaml.Unmarshal([]byte("k: "+cand+"\n"), &v) == nil {
			if got, ok := v["k"].(string); ok && got == s {
				return cand, nil
			}
		}
	}
	return "", fmt.Errorf("cannot be written as a YAML string")
}
