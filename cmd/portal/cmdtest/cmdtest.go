// Package cmdtest runs the real portal command in tests: it builds the
// binary, follows a server's log until it says where it listens, and keeps
// output in a buffer that exec's copying goroutines may write while the
// test reads it.
package cmdtest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
)

// Build builds the portal command into dir and returns the binary's path.
func Build(dir string) (string, error) {
	bin := filepath.Join(dir, "portal")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/openportal/portal/cmd/portal").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building the portal command: %v\n%s", err, out)
	}
	return bin, nil
}

// Buffer is a bytes.Buffer safe for concurrent use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var listening = regexp.MustCompile(`msg="portal listening" url=(http://\S+)`)

// Listening reads a server's log (its stderr) to the end, copying each
// line to log, and sends on the channel it returns the URL the server says
// it listens at; the channel is closed without a URL when the log ends
// before that (the server exited).
func Listening(r io.Reader, log io.Writer) <-chan string {
	found := make(chan string, 1)
	go func() {
		sent := false
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			line := sc.Text()
			log.Write([]byte(line + "\n"))
			if m := listening.FindStringSubmatch(line); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
		io.Copy(log, r) // after a line too long to scan: keep the pipe drained
		if !sent {
			close(found)
		}
	}()
	return found
}
