package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"
)

// LogFile is where the log lives, relative to the repository root.
const LogFile = ".keycycle/audit.log"

// Genesis is the Prev of the first entry of a log: 64 zeros, the hash of
// no line.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// ActorEnv names the environment variable that overrides the actor
// recorded in new entries (tests, CI jobs that want a stable name).
const ActorEnv = "KEYCYCLE_ACTOR"

// Recipient is a key that a change added or removed.
type Recipient struct {
	// Name is the anchor or host/user name keycycle knows the key by,
	// empty when it has none.
	Name string `json:"name,omitempty"`
	// Recipient is the public key: an age1… recipient, an SSH public key,
	// a PGP fingerprint or a KMS ARN. Never a private key.
	Recipient string `json:"recipient"`
}

// SecretRef names one secret of a file: never its value.
type SecretRef struct {
	File string `json:"file"`
	Path string `json:"path"`
	// Action is what the change did to it: set, generate, regenerate,
	// remove, move (From is the old path, FILE:PATH when it came from
	// another file) or public (the public half of
	// a generated key pair); empty in Exposed and ByHand.
	Action string `json:"action,omitempty"`
	From   string `json:"from,omitempty"`
}

// Entry is one line of the log. The JSON field names are the documented
// schema (docs/audit.md); fields are only ever added.
type Entry struct {
	// Seq numbers the entries 1, 2, 3… without gaps.
	Seq int `json:"seq"`
	// Time is when the change was recorded, in UTC, to the second.
	Time time.Time `json:"time"`
	// Actor is user@host of whoever ran the command.
	Actor string `json:"actor"`
	// Command is the command line that made the change; it never holds a
	// secret value.
	Command string `json:"command"`
	// Added are the recipients the change gave access.
	Added []Recipient `json:"added,omitempty"`
	// Removed are the recipients the change took access from.
	Removed []Recipient `json:"removed,omitempty"`
	// Files are the repository-relative paths the change wrote.
	Files []string `json:"files,omitempty"`
	// DataKeyRotated are the files whose sops data key was replaced.
	DataKeyRotated []string `json:"data_key_rotated,omitempty"`
	// Secrets are the values the change set, generated, removed or moved.
	Secrets []SecretRef `json:"secrets,omitempty"`
	// Exposed are the secrets a removed key could read (revocations):
	// their values are known to whoever holds it.
	Exposed []SecretRef `json:"exposed,omitempty"`
	// ByHand are secrets the command could not make (no generator): the
	// exposed ones regenerate left, the missing ones ensure left. To
	// change or set by hand.
	ByHand []SecretRef `json:"by_hand,omitempty"`
	// Note is free text: why, a rotation ID, what the operator said.
	Note string `json:"note,omitempty"`
	// Change is the ID of the change's intent record: the entry of a
	// change that was interrupted and finished by a later run carries
	// the same ID as the one it would have had (docs/changes.md).
	Change string `json:"change,omitempty"`
	// Prev is the hex SHA-256 of the exact bytes of the previous line
	// (without its newline), or Genesis for the first entry.
	Prev string `json:"prev"`
}

// Path returns the log's path in the repository at root.
func Path(root string) string {
	return filepath.Join(root, filepath.FromSlash(LogFile))
}

// LineHash returns the hex SHA-256 of one line of the log, given without
// its trailing newline: the value the next entry stores in Prev.
func LineHash(line []byte) string {
	sum := sha256.Sum256(line)
	return hex.EncodeToString(sum[:])
}

// Actor returns who is running keycycle, as user@host: $KEYCYCLE_ACTOR when
// set, else the login name ($USER, else the account database) and the
// host name. Parts that cannot be found are "unknown".
func Actor() string {
	if a := strings.TrimSpace(os.Getenv(ActorEnv)); a != "" {
		return a
	}
	name := os.Getenv("USER")
	if name == "" {
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
	}
	if name == "" {
		name = "unknown"
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return name + "@" + host
}

// CommandLine joins argv into one line a shell would split back the same
// way: words with spaces or shell metacharacters are single-quoted. It is
// the caller's job to leave secret values out of argv.
func CommandLine(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		words[i] = shellQuote(a)
	}
	return strings.Join(words, " ")
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,@+%^", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
