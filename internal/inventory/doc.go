// Package inventory answers "who can decrypt what" for a secrets
// repository: every recipient the repository knows (the keys under
// `keys:` in .sops.yaml, keys written inline in creation rules, and
// recipients found only in files' sops metadata), what kind of key each
// one probably is, and the access matrix of files × keys that compares
// what each file's metadata holds with what its creation rule wants.
//
// Build makes an Inventory from a repo.Repo; WriteTable, WriteJSON,
// WriteDot and WriteMermaid render it. The JSON schema is documented in
// docs/inventory.md and is stable: fields may be added, never renamed.
package inventory
