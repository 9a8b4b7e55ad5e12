package app

import (
	"flag"
	"io"
	"os"
	"strings"
	"testing"
)

// TestREADMEListsServeFlags: the README is the reference for the flags of
// sesame serve, so every flag the code has is in its table, and the table
// names no flag the code lacks.
func TestREADMEListsServeFlags(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	start := strings.Index(readme, "## Command line")
	end := strings.Index(readme[start+1:], "\n## ")
	if start < 0 || end < 0 {
		t.Fatal("no Command line section in the README")
	}
	var rows []string
	for l := range strings.Lines(readme[start : start+1+end]) {
		if strings.HasPrefix(l, "| `--") {
			rows = append(rows, l)
		}
	}
	table := strings.Join(rows, "")
	c := DefaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	serveFlags(fs, &c)
	known := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) {
		known[f.Name] = true
		if !strings.Contains(table, "`--"+f.Name+"`") {
			t.Errorf("the README's flag table lacks --%s", f.Name)
		}
	})
	for _, row := range rows {
		for _, part := range strings.Split(row, "`--")[1:] {
			name, _, _ := strings.Cut(part, "`")
			if !known[name] {
				t.Errorf("the README's flag table has --%s, which sesame serve does not", name)
			}
		}
	}
}
