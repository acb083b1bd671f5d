package rotation

import (
	"path/filepath"

	"github.com/keycycle/keycycle/internal/complete"
	"github.com/keycycle/keycycle/internal/sopsconfig"
)

// OpenCandidates are what the shell completions of rotate resume and
// abort offer: the IDs of the rotations in configPath's repository not
// yet finished or aborted, each described by its key and state; nothing
// when the repository cannot be read. (It lives here rather than in
// package complete, which would otherwise link the sops library.)
func OpenCandidates(configPath string) []complete.Candidate {
	if _, err := sopsconfig.Load(configPath); err != nil {
		return nil
	}
	list, err := Store{Root: filepath.Dir(configPath)}.List()
	if err != nil {
		return nil
	}
	var out []complete.Candidate
	for _, j := range list {
		if j.State.Open() {
			out = append(out, complete.Candidate{Value: j.ID, Desc: "&" + j.Key + " " + string(j.State)})
		}
	}
	return out
}
