package rotation

import (
	"bytes"
	"io"
	"sync"
)

// linePrefixer passes whole lines to w, each with prefix, so that the
// output of deploy commands running side by side stays readable.
type linePrefixer struct {
	w      io.Writer
	prefix string
	mu     sync.Mutex
	buf    []byte
}

func (l *linePrefixer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if _, err := io.WriteString(l.w, l.prefix+string(l.buf[:i+1])); err != nil {
			return len(p), err
		}
		l.buf = l.buf[i+1:]
	}
}

// flush writes a last line that had no newline.
func (l *linePrefixer) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		_, _ = io.WriteString(l.w, l.prefix+string(l.buf)+"\n")
		l.buf = nil
	}
}

// LockedWriter makes each Write to W whole and alone: for the Out of a
// Runner that runs several rotations at once.
type LockedWriter struct {
	W  io.Writer
	mu sync.Mutex
}

func (l *LockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.W.Write(p)
}
