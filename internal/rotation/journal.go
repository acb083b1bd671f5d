// Package rotation rotates one key of a secrets repository as a journaled
// state machine:
//
//	planned → new-key → added → deployed → verified → old-removed → done
//
// Each rotation has one JSON journal under .keycycle/rotations/<id>.json,
// replaced atomically (fsync of the file and of its folder) after every
// step and before the next one starts; every step is idempotent, so that
// after a crash, a lost SSH link or Ctrl-C, Resume repeats the step that
// was running and continues. Abort, before old-removed, puts back the
// exact recipient sets and the host's old key. At no point can the host
// not decrypt its files: the new key is installed only once every file
// lists it beside the old one, and the old one leaves only after the host
// proved that the new key alone opens every file it reads.
package rotation

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/keycycle/keycycle/internal/fsutil"
	"github.com/keycycle/keycycle/internal/transport"
)

// Dir is where journals live, relative to the repository root.
const Dir = ".keycycle/rotations"

// Schema is the journal's schema name.
const Schema = "keycycle.rotation/v1"

// State is a step of the state machine: the last one completed.
type State string

// The states, in order; Aborted ends a rotation rolled back.
const (
	Planned    State = "planned"
	NewKey     State = "new-key"
	Added      State = "added"
	Deployed   State = "deployed"
	Verified   State = "verified"
	OldRemoved State = "old-removed"
	Done       State = "done"
	Aborted    State = "aborted"
)

// The kinds of keys a rotation replaces.
const (
	// KindHost is a host's key: made on the host, installed there in
	// place of the old one.
	KindHost = "host"
	// KindUser is a user key: made by the operator, its private half kept
	// encrypted in the host's secrets file, which deploys it.
	KindUser = "user"
)

var order = []State{Planned, NewKey, Added, Deployed, Verified, OldRemoved, Done}

// Index returns the state's place in the order (-1 for Aborted).
func (s State) Index() int {
	for i, x := range order {
		if x == s {
			return i
		}
	}
	return -1
}

// Open tells whether a rotation in this state still needs resume or abort.
func (s State) Open() bool { return s != Done && s != Aborted }

// Remote says how to reach the host.
type Remote struct {
	// Local runs the host commands on this machine.
	Local bool `json:"local,omitempty"`
	// SSH is the ssh destination (user@addr, an ssh_config alias).
	SSH string `json:"ssh,omitempty"`
	// SSHConfig is passed as 'ssh -F'.
	SSHConfig string `json:"ssh_config,omitempty"`
	// Binary is keycycle on the host (default "keycycle").
	Binary string `json:"binary,omitempty"`
	// Sudo runs it with 'sudo -n'.
	Sudo bool `json:"sudo,omitempty"`
}

// Event is one line of a journal's history.
type Event struct {
	Time  time.Time `json:"time"`
	State State     `json:"state"`
	Note  string    `json:"note,omitempty"`
}

// Journal is one rotation. It holds public data only: recipients, names,
// paths — never a private key.
type Journal struct {
	Schema string `json:"schema"`
	ID     string `json:"id"`
	// Key is the .sops.yaml anchor rotated; Host owns it.
	Key  string `json:"key"`
	Kind string `json:"kind"`
	Host string `json:"host"`
	// Group is the keys: group of the anchor ("" for the flat list).
	Group string `json:"group,omitempty"`
	// Temp is the anchor the new key has beside the old one between
	// added and old-removed.
	Temp string `json:"temp_anchor"`
	// Old and New are the recipients.
	Old string `json:"old_recipient"`
	New string `json:"new_recipient,omitempty"`
	// KeyFile is the host path of the key file: sops-nix's for a host
	// key, the user's keys.txt for a user key.
	KeyFile string `json:"key_file"`
	// User, for a user key whose key file keycycle chose (no
	// --key-file), is the user whose keys.txt it is: the host says at
	// new-key where that user's home is, and KeyFile follows.
	User string `json:"user,omitempty"`
	// HostFile is the repository file keeping a user key's private half
	// (under keys/age), encrypted; empty for a host key.
	HostFile string `json:"host_file,omitempty"`
	// Files are the repository files the old key reads: those of when
	// the rotation started, and at verification any file made since that
	// lists it; the host must open each with the new key.
	Files []string `json:"files"`
	// Exclude holds the globs of files the rotation leaves alone. A
	// rotation takes every file its key reads, so keycycle no longer
	// sets it; journals written before may still hold it.
	Exclude []string `json:"exclude,omitempty"`
	// Deploy is the command run at step 4 ("" asks the operator).
	Deploy string `json:"deploy,omitempty"`
	// DeployAsked is set when the operator was told to deploy: the next
	// resume takes it as done (verification then proves it).
	DeployAsked bool   `json:"deploy_asked,omitempty"`
	Remote      Remote `json:"remote"`
	State       State  `json:"state"`
	// Error is the last step's failure, cleared by the next success.
	Error   string    `json:"error,omitempty"`
	Started time.Time `json:"started"`
	Updated time.Time `json:"updated"`
	History []Event   `json:"history"`
}

// Store reads and writes the journals of one repository.
type Store struct {
	// Root is the repository root.
	Root string
}

func (s Store) dir() string { return filepath.Join(s.Root, filepath.FromSlash(Dir)) }

// JournalRel is the journal file of id, relative to the repository root
// (slash-separated).
func JournalRel(id string) string { return Dir + "/" + id + ".json" }

// Path returns the journal file of id.
func (s Store) Path(id string) string { return filepath.Join(s.dir(), id+".json") }

// NewID names a rotation of key started at t.
func NewID(key string, t time.Time) string {
	return key + "-" + t.UTC().Format("20060102T150405Z")
}

// Save replaces the journal atomically and durably.
func (s Store) Save(j *Journal) error {
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	// WriteFileAtomic syncs the file and then its folder.
	return fsutil.WriteFileAtomic(s.Path(j.ID), append(data, '\n'), 0o644)
}

// Load reads the journal of id.
func (s Store) Load(id string) (*Journal, error) {
	if id == "" || strings.ContainsAny(id, `/\`) || strings.HasPrefix(id, ".") {
		return nil, fmt.Errorf("%q is not a rotation ID", id)
	}
	data, err := os.ReadFile(s.Path(id))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no rotation %s (in %s)", id, Dir)
		}
		return nil, err
	}
	j := &Journal{}
	if err := json.Unmarshal(data, j); err != nil {
		return nil, fmt.Errorf("%s: %v", s.Path(id), err)
	}
	if j.Schema != Schema || j.ID != id || j.State.Index() < 0 && j.State != Aborted {
		return nil, fmt.Errorf("%s is not a keycycle rotation journal (%s)", s.Path(id), Schema)
	}
	return j, nil
}

// List returns every journal, oldest first.
func (s Store) List() ([]*Journal, error) {
	entries, err := os.ReadDir(s.dir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Journal
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !e.Type().IsRegular() {
			continue
		}
		j, err := s.Load(id)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	sort.Slice(out, func(a, b int) bool {
		if !out[a].Started.Equal(out[b].Started) {
			return out[a].Started.Before(out[b].Started)
		}
		return out[a].ID < out[b].ID
	})
	return out, nil
}

// OpenFor returns the open rotation of key, or nil.
func (s Store) OpenFor(key string) (*Journal, error) {
	all, err := s.List()
	if err != nil {
		return nil, err
	}
	for _, j := range all {
		if j.Key == key && j.State.Open() {
			return j, nil
		}
	}
	return nil, nil
}

// Pick returns the rotation named id, or when id is "" the only open one.
func (s Store) Pick(id string) (*Journal, error) {
	if id != "" {
		return s.Load(id)
	}
	all, err := s.List()
	if err != nil {
		return nil, err
	}
	var open []string
	var last *Journal
	for _, j := range all {
		if j.State.Open() {
			open = append(open, j.ID)
			last = j
		}
	}
	switch len(open) {
	case 0:
		return nil, errors.New("no rotation is open")
	case 1:
		return last, nil
	}
	return nil, fmt.Errorf("%d rotations are open (%s): name one", len(open), strings.Join(open, ", "))
}

// Target says how j's host is reached: "local", or "ssh DESTINATION".
func (j *Journal) Target() string {
	if j.Remote.Local {
		return "local"
	}
	return "ssh " + j.Remote.SSH
}

// TransportOf reaches a rotation's host as its journal says.
func TransportOf(j *Journal) transport.Transport {
	remote := transport.Local{Binary: j.Remote.Binary, Sudo: j.Remote.Sudo}
	if j.Remote.Local {
		return remote
	}
	dest := j.Remote.SSH
	return transport.SSH{ConfigFile: j.Remote.SSHConfig, Target: func(string) string { return dest }, Remote: remote}
}
