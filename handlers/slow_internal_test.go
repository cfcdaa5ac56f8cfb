package handlers

import (
	"testing"

	"github.com/authcode-demo/authcode-demo/views"
)

// Every function the slow-motion page names for a hop exists in the file
// it names.
func TestSlowCodeRefsExist(t *testing.T) {
	funcs := funcIndex{}
	for _, refs := range [][]views.CodeRef{codeSlowAuthorize, codeSlowCallback, codeSlowToken, codeSlowIDToken, codeSlowUserInfo} {
		for _, ref := range refs {
			if !funcs.has(t, ref.File, ref.Func) {
				t.Errorf("/slow names %s in %s, which has no such function", ref.Func, ref.File)
			}
		}
	}
}
