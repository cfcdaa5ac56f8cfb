package deploycheck

// docs/docker.md, the Docker prerequisites and the way out of the scale
// profile (issue 11, defects 1 and 3): a learner who types the README's
// "docker compose up" needs a Docker Compose that reads the file, and must
// learn that a plain "docker compose down" leaves the scale profile running.

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const dockerDoc = "docs/docker.md"

// minComposeFor is the first Docker Compose release that knows each merge
// tag the compose file may use (Compose file reference, "Merge").
var minComposeFor = map[string][3]int{
	"!reset":    {2, 24, 0},
	"!override": {2, 24, 4},
}

func parseVersion(s string) ([3]int, bool) {
	var v [3]int
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return v, false
		}
		v[i] = n
	}
	return v, true
}

func less(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// dockerDocProblems checks the doc against the compose file's text.
func dockerDocProblems(compose, doc string) problems {
	var ps problems
	m := regexp.MustCompile(`Docker Compose (\d+\.\d+\.\d+) or newer`).FindStringSubmatch(doc)
	if m == nil {
		ps.addf("%s does not name the minimum Docker Compose version (\"Docker Compose X.Y.Z or newer\")", dockerDoc)
	} else {
		stated, _ := parseVersion(m[1])
		for tag, min := range minComposeFor {
			if strings.Contains(compose, tag) && less(stated, min) {
				ps.addf("%s says Docker Compose %s or newer, but %s uses %s, which needs %d.%d.%d", dockerDoc, m[1], composeFile, tag, min[0], min[1], min[2])
			}
		}
	}
	for _, want := range []struct{ text, why string }{
		{"docker compose up", "the quick start's command"},
		{"1 GB", "the first up pulls about 1 GB of images"},
		{"builds the Go code inside Docker", "the first up compiles the app in Docker"},
		{"docker compose --profile scale down ", "the way out of the scale profile"},
		{"docker compose --profile scale down -v", "dropping the Redis volume"},
		{"port is already allocated", "the error a plain down leads to"},
	} {
		if !strings.Contains(doc, want.text) {
			ps.addf("%s does not mention %q (%s)", dockerDoc, want.text, want.why)
		}
	}
	return ps
}

func TestDockerDoc(t *testing.T) {
	root := repoRoot(t)
	doc, err := os.ReadFile(filepath.Join(root, dockerDoc))
	if err != nil {
		t.Fatal(err)
	}
	report(t, dockerDocProblems(readText(t, root, composeFile), string(doc)))
}

func TestDockerDocChecksCatchMistakes(t *testing.T) {
	root := repoRoot(t)
	compose := readText(t, root, composeFile)
	doc := readText(t, root, dockerDoc)
	if len(dockerDocProblems(compose, doc)) > 0 {
		t.Fatal("the mutations need a doc without problems to start from")
	}
	for _, tc := range []struct{ name, want, doc string }{
		{"version too old for !override", "needs 2.24.4", regexp.MustCompile(`Docker Compose \d+\.\d+\.\d+ or newer`).ReplaceAllString(doc, "Docker Compose 2.20.0 or newer")},
		{"no version", "minimum Docker Compose version", regexp.MustCompile(`Docker Compose \d+\.\d+\.\d+ or newer`).ReplaceAllString(doc, "a recent Docker Compose")},
		{"no way out of scale", "the way out of the scale profile", strings.ReplaceAll(doc, "docker compose --profile scale down", "docker compose down")},
		{"no download size", "1 GB", strings.ReplaceAll(doc, "1 GB", "some")},
	} {
		t.Run(tc.name, func(t *testing.T) { expectProblem(t, dockerDocProblems(compose, tc.doc), tc.want) })
	}
}
