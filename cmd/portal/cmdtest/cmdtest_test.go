package cmdtest

import (
	"strings"
	"testing"
)

func TestListening(t *testing.T) {
	for _, tt := range []struct {
		name, log string
		want      string // "" when the log ends first
	}{
		{"listens", "time=x level=INFO msg=migrated\ntime=x level=INFO msg=\"portal listening\" url=http://127.0.0.1:4321 graphiql=http://127.0.0.1:4321/graphiql\nmore\n", "http://127.0.0.1:4321"},
		{"exits first", "time=x level=ERROR msg=\"database unreachable\"\n", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var log Buffer
			u, ok := <-Listening(strings.NewReader(tt.log), &log)
			if u != tt.want || ok != (tt.want != "") {
				t.Errorf("Listening = %q, %v; want %q", u, ok, tt.want)
			}
			if tt.want == "" && log.String() != tt.log {
				t.Errorf("log = %q; want every line, %q", log.String(), tt.log)
			}
		})
	}
}
