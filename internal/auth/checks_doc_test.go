package auth_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/authcode-demo/authcode-demo/internal/auth"
)

// The ID token tables of docs/protections.md and of the workshop's handout
// are rendered from the one list, auth.IDTokenChecks(): a check added,
// removed or reworded there makes this test fail until the docs say the
// same. To rewrite the docs' tables:
//
//	go test ./internal/auth/ -run TestProtectionsDocListsTheIDTokenChecks -update
var update = flag.Bool("update", false, "rewrite the ID token checks tables in docs/ from auth.IDTokenChecks()")

// checksDocs hold the table between the two markers.
var checksDocs = []string{"../../docs/protections.md", "../../docs/workshop.md"}

const (
	checksBegin = "<!-- idtoken-checks:begin -->"
	checksEnd   = "<!-- idtoken-checks:end -->"
)

// checksTable renders the checks as the Markdown table between the markers.
func checksTable(checks []auth.IDTokenCheck) string {
	var b strings.Builder
	b.WriteString("| check | what it refuses | specification |\n|---|---|---|\n")
	for _, c := range checks {
		fmt.Fprintf(&b, "| `%s` | %s | [%s](%s) |\n", c.Name, cell(c.Stops), cell(c.Section), c.URL)
	}
	return b.String()
}

// cell keeps a table cell on one line and its text out of the table syntax.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// between splits doc around the text between the two markers.
func between(doc string) (before, inside, after string, ok bool) {
	i := strings.Index(doc, checksBegin)
	j := strings.Index(doc, checksEnd)
	if i < 0 || j < i {
		return "", "", "", false
	}
	start := i + len(checksBegin)
	return doc[:start], doc[start:j], doc[j:], true
}

func TestProtectionsDocListsTheIDTokenChecks(t *testing.T) {
	want := "\n" + checksTable(auth.IDTokenChecks())
	for _, doc := range checksDocs {
		raw, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		before, inside, after, ok := between(string(raw))
		if !ok {
			t.Errorf("%s has no %s ... %s markers around the ID token checks table", doc, checksBegin, checksEnd)
			continue
		}
		if *update {
			if err := os.WriteFile(doc, []byte(before+want+after), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("rewrote the ID token checks table in %s", doc)
			continue
		}
		if inside != want {
			t.Errorf("the ID token checks table in %s is not auth.IDTokenChecks() (internal/auth/checks.go).\n"+
				"Rewrite it with: go test ./internal/auth/ -run TestProtectionsDocListsTheIDTokenChecks -update\n"+
				"--- in the doc:\n%s\n--- from the list:\n%s", doc, inside, want)
		}
	}
}

// The comparison above can fail: a list with one check fewer, or one
// reworded, renders another table.
func TestChecksTableFollowsTheList(t *testing.T) {
	checks := auth.IDTokenChecks()
	full := checksTable(checks)
	if !strings.Contains(full, "| `nonce` |") || strings.Count(full, "\n") != len(checks)+2 {
		t.Fatalf("the table does not have one row per check:\n%s", full)
	}
	if checksTable(checks[:len(checks)-1]) == full {
		t.Error("a list without its last check renders the same table")
	}
	reworded := append([]auth.IDTokenCheck(nil), checks...)
	reworded[0].Stops += " (reworded)"
	if checksTable(reworded) == full {
		t.Error("a reworded check renders the same table")
	}
}
