package inventory

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// edge is one key → file arrow of a graph.
type edge struct {
	key, file int
	style     string // "has", "extra", "missing" or "norule"
}

// edges lists the arrows: one per key that can decrypt the file or that
// its rule wants.
func edges(inv *Inventory) []edge {
	var out []edge
	for fi, f := range inv.Files {
		for _, a := range f.Access {
			e := edge{key: a.Key, file: fi, style: "has"}
			switch Mark(f, a) {
			case MarkExtra:
				e.style = "extra"
			case MarkMissing:
				e.style = "missing"
			case MarkNoRule:
				e.style = "norule"
			}
			out = append(out, e)
		}
	}
	return out
}

// keyLabel is a key's node text, lines separated by "\n" (control
// characters in names are replaced, so every "\n" is one of ours).
func keyLabel(i int, k *Key) string {
	name := printable(k.Name)
	if name == "" {
		name = string(k.Status)
	}
	for _, a := range k.Aliases {
		name += " = " + printable(a)
	}
	return fmt.Sprintf("%d %s\n%s %s\n%s", i+1, name, k.Kind, k.KeyType, shortKey(k.Recipient))
}

// fileLabel is a file's node text.
func fileLabel(f *File) string {
	if f.Status == FileOK {
		return printable(f.Path)
	}
	return printable(f.Path) + "\n(" + string(f.Status) + ")"
}

// dotQuote makes s a Graphviz quoted string: quotes and backslashes
// escaped, line breaks as \n, other control characters replaced.
func dotQuote(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		l = strings.ReplaceAll(printable(l), `\`, `\\`)
		lines[i] = strings.ReplaceAll(l, `"`, `\"`)
	}
	return `"` + strings.Join(lines, `\n`) + `"`
}

// WriteDot writes the inventory as a Graphviz digraph: keys on the
// left, files on the right, an arrow from each key to each file it can
// decrypt or should; dashed red for an extra key, dotted for a missing
// one. Node IDs are k1…, f1…, so any name is safe.
func WriteDot(w io.Writer, inv *Inventory) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "digraph inventory {")
	fmt.Fprintln(bw, "  graph [rankdir=LR];")
	fmt.Fprintln(bw, "  node [fontname=\"monospace\", fontsize=10];")
	fmt.Fprintln(bw, "  edge [fontname=\"monospace\", fontsize=9];")
	for i, k := range inv.Keys {
		style := ""
		if k.Status == KeyUnlisted {
			style = ", color=red, fontcolor=red"
		}
		fmt.Fprintf(bw, "  k%d [shape=box, label=%s%s];\n", i+1, dotQuote(keyLabel(i, k)), style)
	}
	for i, f := range inv.Files {
		style := ""
		if f.Status != FileOK {
			style = ", style=dashed"
		}
		fmt.Fprintf(bw, "  f%d [shape=note, label=%s%s];\n", i+1, dotQuote(fileLabel(f)), style)
	}
	for _, e := range edges(inv) {
		attr := ""
		switch e.style {
		case "extra":
			attr = ` [style=dashed, color=red, label="extra"]`
		case "missing":
			attr = ` [style=dotted, label="missing"]`
		case "norule":
			attr = ` [color=gray]`
		}
		fmt.Fprintf(bw, "  k%d -> f%d%s;\n", e.key+1, e.file+1, attr)
	}
	fmt.Fprintln(bw, "}")
	return bw.Flush()
}

// mermaidQuote makes s a Mermaid quoted label: characters Mermaid or the
// HTML it renders would read (quotes, #, &, <, >, backticks) written as
// #NN; entity codes, line breaks as <br/>.
func mermaidQuote(s string) string {
	r := strings.NewReplacer(`#`, "#35;", `"`, "#34;", `&`, "#38;", `<`, "#60;", `>`, "#62;", "`", "#96;")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = r.Replace(printable(l))
	}
	return `"` + strings.Join(lines, "<br/>") + `"`
}

// WriteMermaid writes the inventory as a Mermaid flowchart (LR) with the
// same nodes and arrows as WriteDot: extra keys dashed red, missing ones
// dotted.
func WriteMermaid(w io.Writer, inv *Inventory) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "flowchart LR")
	for i, k := range inv.Keys {
		fmt.Fprintf(bw, "  k%d([%s])\n", i+1, mermaidQuote(keyLabel(i, k)))
	}
	for i, f := range inv.Files {
		fmt.Fprintf(bw, "  f%d[%s]\n", i+1, mermaidQuote(fileLabel(f)))
	}
	var extra []string
	for n, e := range edges(inv) {
		switch e.style {
		case "extra":
			fmt.Fprintf(bw, "  k%d -->|extra| f%d\n", e.key+1, e.file+1)
			extra = append(extra, fmt.Sprint(n))
		case "missing":
			fmt.Fprintf(bw, "  k%d -.->|missing| f%d\n", e.key+1, e.file+1)
		default:
			fmt.Fprintf(bw, "  k%d --> f%d\n", e.key+1, e.file+1)
		}
	}
	for _, n := range extra {
		fmt.Fprintf(bw, "  linkStyle %s stroke:red,stroke-dasharray:6 3\n", n)
	}
	for i, k := range inv.Keys {
		if k.Status == KeyUnlisted {
			fmt.Fprintf(bw, "  style k%d stroke:red\n", i+1)
		}
	}
	return bw.Flush()
}
