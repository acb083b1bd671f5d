package audit

import (
	"os"
	"slices"
)

// RemovedRecipients returns the recipients the audit log records as
// removed under name, in log order; none when there is no log.
func RemovedRecipients(root, name string) []string {
	f, err := os.Open(Path(root))
	if err != nil {
		return nil
	}
	defer f.Close()
	recs, _ := Read(f)
	var out []string
	for _, r := range recs {
		if r.Err != nil {
			continue
		}
		for _, rc := range r.Entry.Removed {
			if rc.Name == name && !slices.Contains(out, rc.Recipient) {
				out = append(out, rc.Recipient)
			}
		}
	}
	return out
}
