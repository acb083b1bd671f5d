// Package accessdiff answers "who gained or lost the ability to decrypt
// which file" between two revisions of a secrets repository, from the
// files' sops metadata (keycycle diff): Between compares two revisions,
// Revisions takes the command's arguments, and a Report renders as text
// or as the keycycle.diff/v1 JSON document.
//
// It is apart from package inventory because it opens files (whether a
// data key changed needs the sops library): inventory builds and tests
// without it.
package accessdiff
