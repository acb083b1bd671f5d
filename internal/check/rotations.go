package check

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// rotationsDir holds the journals of 'keycycle rotate' (internal/rotation
// writes them; check reads only the fields it reports, so that it does
// not import the rotation machinery and the sops library behind it).
const rotationsDir = ".keycycle/rotations"

// openJournal is the part of a rotation journal check reads.
type openJournal struct {
	ID      string `json:"id"`
	Key     string `json:"key"`
	State   string `json:"state"`
	Error   string `json:"error"`
	Updated string `json:"updated"`
}

// openRotations reports every rotation that is neither done nor aborted.
func (c *checker) openRotations() {
	dir := filepath.Join(c.r.Root, filepath.FromSlash(rotationsDir))
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return
	}
	sort.Strings(names)
	for _, p := range names {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		var j openJournal
		rel := rotationsDir + "/" + filepath.Base(p)
		if err := json.Unmarshal(data, &j); err != nil || j.ID == "" {
			c.add(IDOpenRotation, rel, 0, 0, "a rotation journal that cannot be read",
				"restore it from version control, or inspect it with 'keycycle rotate status'")
			continue
		}
		if j.State == "done" || j.State == "aborted" {
			continue
		}
		msg := fmt.Sprintf("the rotation of key %s (%s) is open at step %q since %s", j.Key, j.ID, j.State, j.Updated)
		if j.Error != "" {
			msg += "; its last step failed: " + j.Error
		}
		f := c.add(IDOpenRotation, rel, 0, 0, msg,
			fmt.Sprintf("finish it with 'keycycle rotate resume %s', or roll it back with 'keycycle rotate abort %s'", j.ID, j.ID))
		f.Anchor = j.Key
	}
}

// intentFile is where the change pipeline keeps the record of a change
// being written (internal/pipeline.IntentFile).
const intentFile = ".keycycle/intent.json"

// interruptedChange reports a change whose intent record is still there.
func (c *checker) interruptedChange() {
	data, err := os.ReadFile(filepath.Join(c.r.Root, filepath.FromSlash(intentFile)))
	if err != nil {
		return
	}
	var in struct {
		Command string `json:"command"`
		Started string `json:"started"`
	}
	msg := "a change was interrupted and its record cannot be read"
	if json.Unmarshal(data, &in) == nil && in.Command != "" {
		msg = fmt.Sprintf("the change '%s' of %s was interrupted part way", in.Command, in.Started)
	}
	c.add(IDInterrupted, intentFile, 0, 0, msg,
		"run the same command again, or any command that changes the repository ('keycycle rekey'): it finishes the change first")
}
