package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/keycycle/keycycle/internal/fsutil"
)

// chunk is how much of the log's end is read at a time to find its last
// line.
const chunk = 4096

// Append writes e as the next line of the log in the repository at root,
// creating .keycycle/audit.log (0644) when missing. It fills Seq and Prev
// from the log's last line, Time (now, UTC, to the second) and Actor
// (Actor()) when they are zero; Command must be set. The line is written
// with one write on an O_APPEND descriptor and synced before Append
// returns.
//
// Append reads only the end of the file, so its cost does not grow with
// the log. It refuses to extend a log whose last line is cut short or not
// a valid entry: 'keycycle audit verify' says what is wrong. The caller
// must hold the repository lock (internal/lock) so that two writers do not
// chain from the same line.
func Append(root string, e Entry) (err error) {
	if e.Command == "" {
		return errors.New("audit: an entry needs the command that made the change")
	}
	path := Path(root)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := CheckInside(root); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("cannot write %s: %w", path, cerr)
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	e.Seq, e.Prev = 1, Genesis
	if st.Size() > 0 {
		last, err := lastLine(f, st.Size())
		if err != nil {
			return fmt.Errorf("cannot append to %s: %w", path, err)
		}
		prev, err := ParseLine(last)
		if err != nil {
			return fmt.Errorf("cannot append to %s: its last line is not a valid entry (%v)", path, err)
		}
		e.Seq, e.Prev = prev.Seq+1, LineHash(last)
	}
	line, err := encode(e)
	if err != nil {
		return err
	}
	if _, err := f.Write(line); err != nil {
		// Leave no half line behind: the next Append would refuse it.
		_ = f.Truncate(st.Size())
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if st.Size() == 0 {
		return fsutil.SyncDir(filepath.Dir(path))
	}
	return nil
}

// encode fills the defaults of e and returns its line, newline included.
func encode(e Entry) ([]byte, error) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Time = e.Time.UTC().Truncate(time.Second)
	if e.Actor == "" {
		e.Actor = Actor()
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Head returns the seq and hash of the last line of the log in the
// repository at root: the value to record elsewhere (a commit trailer) and
// check later with Report.CheckAnchor. An empty log gives 0 and "". A
// missing log is an error that matches fs.ErrNotExist.
func Head(root string) (seq int, hash string, err error) {
	f, err := os.Open(Path(root))
	if err != nil {
		return 0, "", err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return 0, "", err
	}
	last, err := lastLine(f, st.Size())
	if err != nil {
		return 0, "", err
	}
	e, err := ParseLine(last)
	if err != nil {
		return 0, "", fmt.Errorf("the last line of %s is not a valid entry (%v)", Path(root), err)
	}
	return e.Seq, LineHash(last), nil
}

// lastLine returns the last line of a file of the given size, without its
// newline, reading backwards from the end one chunk at a time. The file
// must end with a newline.
func lastLine(f io.ReaderAt, size int64) ([]byte, error) {
	var end [1]byte
	if _, err := f.ReadAt(end[:], size-1); err != nil {
		return nil, err
	}
	if end[0] != '\n' {
		return nil, errors.New("its last line is cut short (no newline at the end)")
	}
	var line []byte
	for off := size - 1; off > 0; {
		n := int64(chunk)
		if off < n {
			n = off
		}
		off -= n
		buf := make([]byte, n)
		if _, err := f.ReadAt(buf, off); err != nil {
			return nil, err
		}
		if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
			return append(buf[i+1:], line...), nil
		}
		line = append(buf, line...)
	}
	return line, nil
}

// CheckInside refuses a log that would be written outside the repository:
// .keycycle or .keycycle/audit.log being a symbolic link.
func CheckInside(root string) error {
	for _, rel := range []string{filepath.Dir(LogFile), LogFile} {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if st, err := os.Lstat(p); err == nil && st.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("%s is a symbolic link: keycycle writes its log only inside the repository; replace the link with the file it points to", p)
		}
	}
	return nil
}

// Last returns the last entry of the log in the repository at root; nil
// when there is no log or it is empty. A last line cut short or not a
// valid entry is an error: nothing can be appended to that log until
// 'keycycle audit verify' has been read and the line repaired.
func Last(root string) (*Entry, error) {
	if err := CheckInside(root); err != nil {
		return nil, err
	}
	f, err := os.Open(Path(root))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return nil, err
	}
	last, err := lastLine(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("cannot append to %s: %w", Path(root), err)
	}
	e, err := ParseLine(last)
	if err != nil {
		return nil, fmt.Errorf("cannot append to %s: its last line is not a valid entry (%v)", Path(root), err)
	}
	return &e, nil
}
