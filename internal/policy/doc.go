// Package policy reads keycycle's own files in a secrets repository:
// keycycle.yaml, written by people (secret categories, roles, hosts, the
// rotation policy, the deploy command, the VCS mode), and
// .keycycle/keys.yaml, written by keycycle (public metadata per
// recipient: kind, owner, origin, creation and retirement dates).
//
// Both are parsed through yaml.v3 nodes so that every error names the
// file and line it is about, and every error in a file is reported at
// once. Both files are optional: Load returns a Policy whose Config or
// Keys is nil when the file is absent.
package policy
