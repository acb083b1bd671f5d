package inventory

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The widest file column the matrix gives paths; longer ones are cut in
// the middle.
const maxFileColumn = 36

// writeMatrix writes the access matrix, one row per file, one column per
// key, split into blocks of columns that fit in width.
func writeMatrix(w io.Writer, inv *Inventory, width int, paint func(string) string) {
	if paint == nil {
		paint = func(m string) string { return m }
	}
	fmt.Fprintf(w, "Access (%d files × %d keys)\n", len(inv.Files), len(inv.Keys))
	if len(inv.Files) == 0 {
		fmt.Fprintln(w, "  no secrets file: no file a creation rule matches and no encrypted file")
		return
	}
	fileW, statusW := 4, 6
	for _, f := range inv.Files {
		fileW = max(fileW, cols(printable(f.Path)))
		statusW = max(statusW, len(f.Status))
	}
	cellW := len(strconv.Itoa(len(inv.Keys))) + 1
	// The file column leaves room for ten key columns (or all of them)
	// and keeps at least twelve columns of the path.
	room := width - 2 - fileW - 3 - statusW
	want := min(len(inv.Keys), 10) * cellW
	fileW = max(12, min(fileW, maxFileColumn, fileW-(want-room)))
	statusW++ // a blank after the longest status
	perBlock := max(1, (width-2-fileW-2-statusW)/cellW)
	for start := 0; start < len(inv.Keys) || start == 0; start += perBlock {
		end := min(start+perBlock, len(inv.Keys))
		if start > 0 {
			fmt.Fprintln(w)
		}
		if end-start < len(inv.Keys) {
			fmt.Fprintf(w, "  keys %d–%d\n", start+1, end)
		}
		head := "  " + pad("file", fileW) + "  " + pad("status", statusW)
		for k := start; k < end; k++ {
			head += padLeft(strconv.Itoa(k+1), cellW)
		}
		fmt.Fprintln(w, strings.TrimRight(head, " "))
		for _, f := range inv.Files {
			row := "  " + pad(cutMiddle(printable(f.Path), fileW), fileW) + "  " + pad(string(f.Status), statusW)
			for k := start; k < end; k++ {
				m := Mark(f, f.Cell(k))
				row += strings.Repeat(" ", max(0, cellW-cols(m))) + paint(m)
			}
			fmt.Fprintln(w, strings.TrimRight(row, " "))
		}
		if end >= len(inv.Keys) {
			break
		}
	}
	writeLegend(w, inv, width)
}

// writeLegend explains the marks in use.
func writeLegend(w io.Writer, inv *Inventory, width int) {
	items := []string{
		MarkOK + " can decrypt, as the rule wants",
		MarkExtra + " can decrypt, rule does not want it (rekey)",
		MarkMissing + " rule wants it, cannot decrypt (rekey)",
		MarkNone + " no access",
	}
	for _, f := range inv.Files {
		if !f.RuleKnown && len(f.Access) > 0 {
			items = append(items, MarkNoRule+" can decrypt, no usable rule to compare")
			break
		}
	}
	fmt.Fprintln(w)
	const indent = "       "
	line, empty := "Legend:", true
	for _, it := range items {
		if !empty && cols(line)+2+cols(it) > width {
			fmt.Fprintln(w, cutRight(line, width))
			line = indent
		}
		line += "  " + it
		empty = false
	}
	fmt.Fprintln(w, cutRight(line, width))
}

// writeSummary tells what needs doing: files to rekey, to encrypt, to
// repair, keys to look at.
func writeSummary(w io.Writer, inv *Inventory, width int) {
	var drift, plain, noRule, msgs []string
	var unlisted []int
	var unlistedKeys []string
	for _, f := range inv.Files {
		switch f.Status {
		case FileDrift:
			drift = append(drift, f.Path)
		case FilePlaintext:
			plain = append(plain, f.Path)
		case FileNoRule:
			noRule = append(noRule, f.Path)
		case FileUnreadable, FileRuleError:
			msgs = append(msgs, fmt.Sprintf("%s (%s): %s.", f.Path, f.Status, strings.TrimSuffix(f.Error, ".")))
		}
	}
	for i, k := range inv.Keys {
		if k.Status == KeyUnlisted {
			unlisted = append(unlisted, i+1)
			unlistedKeys = append(unlistedKeys, printable(k.Recipient))
		}
	}
	if len(drift) == 1 {
		msgs = append(msgs, fmt.Sprintf("%s differs from its rule: run 'keycycle rekey %s'; until then a key "+
			"marked %s can still decrypt it and one marked %s cannot.", drift[0], drift[0], MarkExtra, MarkMissing))
	} else if len(drift) > 1 {
		msgs = append(msgs, fmt.Sprintf("%d files differ from their rules (%s): run 'keycycle rekey'; "+
			"until then keys marked %s can still decrypt them and keys marked %s cannot.",
			len(drift), some(drift), MarkExtra, MarkMissing))
	}
	if len(plain) > 0 {
		msgs = append(msgs, fmt.Sprintf("Not encrypted though a rule matches: %s ('sops encrypt -i FILE').", some(plain)))
	}
	if len(noRule) > 0 {
		msgs = append(msgs, fmt.Sprintf("Encrypted, but no creation rule matches: %s.", some(noRule)))
	}
	if len(unlisted) > 0 {
		// Whole: no name says which key it is.
		msgs = append(msgs, fmt.Sprintf("Unlisted key(s) %s can decrypt files though .sops.yaml does not name them: %s.",
			ranges(unlisted), strings.Join(unlistedKeys, ", ")))
	}
	if len(msgs) == 0 {
		return
	}
	fmt.Fprintln(w)
	for _, m := range msgs {
		for _, l := range wrap(m, width) {
			fmt.Fprintln(w, l)
		}
	}
}

// summaryNames is how many paths a summary line names before "and N more".
const summaryNames = 5

// some joins the first few names and counts the rest.
func some(names []string) string {
	if len(names) <= summaryNames {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:summaryNames], ", "), len(names)-summaryNames)
}

// ranges writes sorted numbers with runs collapsed: "2, 5–9, 12".
func ranges(nums []int) string {
	var parts []string
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		switch {
		case j == i:
			parts = append(parts, strconv.Itoa(nums[i]))
		case j == i+1:
			parts = append(parts, strconv.Itoa(nums[i]), strconv.Itoa(nums[j]))
		default:
			parts = append(parts, fmt.Sprintf("%d–%d", nums[i], nums[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}
