package inventory

import (
	"io"
	"time"

	"github.com/keycycle/keycycle/internal/policy"
	"github.com/keycycle/keycycle/internal/repo"
)

// BuildAt is 'keycycle inventory': Build, with the keys' ages as of now
// (AddAges) when the repository's policy loads.
func BuildAt(r *repo.Repo, now time.Time) *Inventory {
	inv := Build(r)
	if pol, err := policy.Load(r.Root); err == nil {
		AddAges(inv, pol, now)
	}
	return inv
}

// Write renders inv in format: json (WriteJSON), dot (WriteDot),
// mermaid (WriteMermaid), else the table (WriteTableWith table).
func Write(w io.Writer, inv *Inventory, format string, table TableOptions) error {
	switch format {
	case "json":
		return WriteJSON(w, inv)
	case "dot":
		return WriteDot(w, inv)
	case "mermaid":
		return WriteMermaid(w, inv)
	}
	return WriteTableWith(w, inv, table)
}
