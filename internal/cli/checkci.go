package cli

import (
	"path/filepath"
)

// displayPath makes a root-relative finding path relative to the working
// directory when the repository is below it (CI checks out the repository
// there and annotates paths from it), else leaves it root-relative.
func displayPath(root, file string) string {
	if file == "" {
		return ""
	}
	rel, ok := relToWD(filepath.Join(root, filepath.FromSlash(file)))
	if !ok {
		return file
	}
	return filepath.ToSlash(rel)
}
