package handlers

import (
	"strings"
	"testing"
)

// Every function and test the attack lab's cards name exists in the file
// they name, and each test's command runs that test: the cards cannot send
// a learner to code that is not there.
func TestLabRefsExist(t *testing.T) {
	funcs := funcIndex{}
	for _, place := range []labPlace{
		{App: "http://localhost:3000", Seed: "http://localhost:3004", OtherSite: "http://127.0.0.1:3000", APIURL: "http://localhost:4000", AttackerIssuer: "http://localhost:8080/realms/attacker"},
		{App: "http://localhost:3002", DPoP: true, LoggedIn: true, APIURL: "http://localhost:4000"},
	} {
		cards := labCards(place)
		if len(cards) < 7 {
			t.Errorf("%d cards, want at least 7", len(cards))
		}
		for _, c := range cards {
			if len(c.Code) == 0 || len(c.Tests) == 0 {
				t.Errorf("card %s names no code or no test", c.Name)
			}
			for _, ref := range c.Code {
				if !funcs.has(t, ref.File, ref.Func) {
					t.Errorf("card %s names %s in %s, which has no such function", c.Name, ref.Func, ref.File)
				}
			}
			for _, test := range c.Tests {
				if !strings.HasPrefix(test.Func, "Test") || !funcs.has(t, test.File, test.Func) {
					t.Errorf("card %s names the test %s in %s, which has no such test", c.Name, test.Func, test.File)
				}
				if !strings.Contains(test.Command, "-run '^"+test.Func+"$'") {
					t.Errorf("card %s: the command %q does not run %s", c.Name, test.Command, test.Func)
				}
			}
			if c.Seed.Outcome == "" || c.App.Outcome == "" || len(c.Requests) == 0 {
				t.Errorf("card %s does not say what happens, or which requests", c.Name)
			}
		}
	}
}
