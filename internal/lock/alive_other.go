//go:build !unix

package lock

// alive cannot tell on this system, so every recorded holder is believed.
func alive(pid int) bool { return true }
