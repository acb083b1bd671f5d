// Package audit is keycycle's append-only, hash-chained audit log:
// .keycycle/audit.log in the secrets repository, one JSON object a line.
//
// Every line records one change (who, when, which command, recipients
// added and removed, files touched, data keys rotated) and carries the
// SHA-256 of the exact bytes of the line before it, so that an edited,
// removed, inserted or reordered line breaks the chain and Verify names
// the line. A chain alone cannot prove that nothing was cut off its end:
// record the head (Head, 'keycycle audit log --head') somewhere else, such
// as a commit message, and check it with Report.CheckAnchor.
//
// The schema (docs/audit.md) only grows: readers ignore fields they do not
// know, and the hash covers the line's bytes as written, so lines written
// by a newer keycycle verify with an older one.
package audit
