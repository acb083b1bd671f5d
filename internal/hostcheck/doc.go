// Package hostcheck holds the host-side checks of `keycycle host check`:
// the SSH host key and age key file that sops-nix decrypts with, the
// host's recipients in the repository's .sops.yaml, the secrets sops-nix
// installed under /run/secrets, and a user's age key file. Each check has
// a stable ID (HC001…), a status (ok, warn, fail), a message and a hint;
// with Options.Fix, wrong modes and owners are repaired (never contents).
//
// Every host path goes through Root, so that the checks run against a
// folder standing for "/" (tests, a mounted image) exactly as on the host.
// Nothing here ever prints or returns key material: keys are parsed only
// to derive their public recipients.
package hostcheck
