package handlers

import "testing"

// Every test the security ladder names (for a protection, or for a flaw of
// the seed app) exists in the file it names, so the page never sends a
// learner to a test that is not there.
func TestLadderTestRefsExist(t *testing.T) {
	funcs := funcIndex{}
	n := 0
	for _, rung := range ladderRungs() {
		for _, step := range append(rung.Flaws, rung.Steps...) {
			if len(step.Tests) == 0 {
				t.Errorf("%q names no test", step.Protection)
			}
			for _, ref := range step.Tests {
				n++
				if !funcs.has(t, ref.File, ref.Func) {
					t.Errorf("the ladder names %s in %s, which has no such function", ref.Func, ref.File)
				}
			}
		}
	}
	if n < 10 {
		t.Errorf("the ladder names only %d tests", n)
	}
}
