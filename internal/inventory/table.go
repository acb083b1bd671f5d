package inventory

import (
	"bufio"
	"fmt"
	"github.com/keycycle/keycycle/internal/policy"
	"io"
	"slices"
	"strconv"
	"strings"
)

// DefaultWidth is the table width WriteTable uses when given 0.
const DefaultWidth = 80

// minWidth is the narrowest table WriteTable lays out.
const minWidth = 40

// The marks of the access matrix.
const (
	MarkOK      = "●" // has, wanted
	MarkExtra   = "+" // has, not wanted: rekey to remove
	MarkMissing = "-" // wanted, not in the file: rekey to add
	MarkNone    = "·" // neither
	MarkNoRule  = "○" // has; no usable rule to compare with
)

// Mark returns the matrix mark of a cell of f.
func Mark(f *File, a Access) string {
	switch {
	case a.Has && !f.RuleKnown:
		return MarkNoRule
	case a.Has && a.Wanted:
		return MarkOK
	case a.Has:
		return MarkExtra
	case a.Wanted:
		return MarkMissing
	}
	return MarkNone
}

// TableOptions shape WriteTableWith's output.
type TableOptions struct {
	// Width is the widest line (0: DefaultWidth).
	Width int
	// Paint, when set, wraps each mark of the access matrix after it is
	// laid out (the caller's colours: they take no columns).
	Paint func(mark string) string
}

// WriteTable writes the inventory for a terminal: the key list, then the
// access matrix in as many column blocks as width (0: DefaultWidth)
// needs, a legend and a summary. No line is wider than width.
func WriteTable(w io.Writer, inv *Inventory, width int) error {
	return WriteTableWith(w, inv, TableOptions{Width: width})
}

// WriteTableWith is WriteTable with options.
func WriteTableWith(w io.Writer, inv *Inventory, opts TableOptions) error {
	width := opts.Width
	if width <= 0 {
		width = DefaultWidth
	}
	width = max(width, minWidth)
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "Repository "+cutLeft(printable(inv.Root), width-len("Repository ")))
	if inv.ConfigError != "" {
		for _, l := range wrap("Cannot read the config: "+inv.ConfigError, width) {
			fmt.Fprintln(bw, l)
		}
	}
	fmt.Fprintln(bw)
	writeKeyList(bw, inv, width)
	fmt.Fprintln(bw)
	writeMatrix(bw, inv, width, opts.Paint)
	writeSummary(bw, inv, width)
	return bw.Flush()
}

// column is one column of the key list.
type column struct {
	head  string
	right bool // right-aligned
	cells []string
	w     int
}

// writeKeyList writes one line per key. When width is too narrow for
// every column, the least useful go first (wanted, status, type,
// recipient), then the name column is cut.
func writeKeyList(w io.Writer, inv *Inventory, width int) {
	fmt.Fprintf(w, "Keys (%d)\n", len(inv.Keys))
	if len(inv.Keys) == 0 {
		fmt.Fprintln(w, "  none: no key in .sops.yaml and no encrypted file")
		return
	}
	all := []*column{{head: "#", right: true}, {head: "name"}, {head: "kind"}, {head: "type"},
		{head: "status"}, {head: "files", right: true}, {head: "wanted", right: true}, {head: "recipient"}}
	for i, k := range inv.Keys {
		row := []string{strconv.Itoa(i + 1), keyName(k), string(k.Kind), k.KeyType, keyStatus(k),
			strconv.Itoa(k.Files), strconv.Itoa(k.Wanted), shortKey(k.Recipient)}
		for c, v := range row {
			all[c].cells = append(all[c].cells, v)
		}
	}
	for _, c := range all {
		c.w = cols(c.head)
		for _, v := range c.cells {
			c.w = max(c.w, cols(v))
		}
	}
	name := all[1]
	total := func() int {
		n := 0
		for _, c := range all {
			n += 2 + c.w
		}
		return n - name.w + min(name.w, 10)
	}
	for _, drop := range []string{"wanted", "status", "type", "recipient"} {
		if total() <= width {
			break
		}
		all = slices.DeleteFunc(all, func(c *column) bool { return c.head == drop })
	}
	name.w = max(4, min(name.w, width-(total()-min(name.w, 10))))
	for r := -1; r < len(inv.Keys); r++ {
		var b strings.Builder
		for _, c := range all {
			v := c.head
			if r >= 0 {
				v = c.cells[r]
			}
			b.WriteString("  ")
			if v = cutRight(v, c.w); c.right {
				b.WriteString(padLeft(v, c.w))
			} else {
				b.WriteString(pad(v, c.w))
			}
		}
		fmt.Fprintln(w, cutRight(strings.TrimRight(b.String(), " "), width))
	}
}

// keyName is the name the table shows: anchor names joined, or "-".
func keyName(k *Key) string {
	names := k.Name
	for _, a := range k.Aliases {
		names += "=" + a
	}
	if names == "" {
		return "-"
	}
	return printable(names)
}

// wrap splits text into lines of at most width columns at spaces.
func wrap(text string, width int) []string {
	var out []string
	line := ""
	for _, word := range strings.Fields(printable(text)) {
		word = cutRight(word, width)
		switch {
		case line == "":
			line = word
		case cols(line)+1+cols(word) <= width:
			line += " " + word
		default:
			out = append(out, line)
			line = word
		}
	}
	if line != "" {
		out = append(out, line)
	}
	return out
}

// keyStatus is the status column: the age status when the policy gives
// one that matters, the key's standing otherwise.
func keyStatus(k *Key) string {
	switch k.Age {
	case policy.AgeOverdue, policy.AgeDueSoon, policy.AgeRetired, policy.AgeUnknown:
		return string(k.Age)
	}
	return string(k.Status)
}
