package hostcheck

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteText prints the report for people: one line per check, details
// and hints indented, the host's recipients, then a summary line.
func WriteText(w io.Writer, rep *Report) error {
	var b strings.Builder
	for _, r := range rep.Results {
		mark := string(r.Status)
		if r.Skipped {
			mark = "skip"
		}
		fmt.Fprintf(&b, "%-4s %s %s: %s\n", mark, r.ID, r.Name, r.Message)
		for _, d := range r.Details {
			fmt.Fprintf(&b, "       %s\n", d)
		}
		for _, f := range r.Fixed {
			fmt.Fprintf(&b, "       fixed: %s\n", f)
		}
		if r.Hint != "" && r.Status != OK {
			fmt.Fprintf(&b, "       hint: %s\n", r.Hint)
		}
	}
	if len(rep.Recipients) > 0 {
		b.WriteString("\nrecipients of this host:\n")
		for _, r := range rep.Recipients {
			reg := ""
			if r.Registered != nil {
				reg = map[bool]string{true: "  (in the repository)", false: "  (not in the repository)"}[*r.Registered]
			}
			fmt.Fprintf(&b, "  %s  %s%s\n", r.Age, r.Source, reg)
		}
	}
	counts := map[Status]int{}
	for _, r := range rep.Results {
		counts[r.Status]++
	}
	fmt.Fprintf(&b, "\n%s: %d ok, %d warn, %d fail\n", rep.Status(), counts[OK], counts[Warn], counts[Fail])
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON prints the report as one JSON object.
func WriteJSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Status Status `json:"status"`
		*Report
	}{rep.Status(), rep})
}
