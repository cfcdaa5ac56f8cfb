package lab

import (
	"strings"

	"github.com/authcode-demo/authcode-demo/internal/auth"
)

// RefusingCheck names the check of auth.IDTokenChecks that refused a token,
// from the reason auth.Client.CheckIDToken gave (go-oidc's words for the
// checks it makes, the app's own for the rest), or "" when the reason
// names none of them (a token that could not be read at all, say).
// TestRefusingCheckNamesTheCheck tampers with real tokens and checks each
// answer against the real CheckIDToken, so a change of wording there fails
// a test rather than this page.
func RefusingCheck(reason string) string {
	for _, r := range refusalWords {
		if strings.Contains(reason, r.words) {
			return r.check
		}
	}
	return ""
}

// refusalWords are the words of each refusal, in the order of the checks.
var refusalWords = []struct{ words, check string }{
	{"oidc: malformed jwt", auth.CheckSignature}, // alg none, or an algorithm the provider does not use
	{"oidc: id token not signed", auth.CheckSignature},
	{"failed to verify signature", auth.CheckSignature},
	{"oidc: id token issued by a different provider", auth.CheckIssuer},
	{"oidc: expected audience", auth.CheckAudience},
	{"oidc: token is expired", auth.CheckExpiry},
	{"sub claim missing", auth.CheckSubject},
	{"iat claim missing", auth.CheckIssuedAt},
	{"several audiences but no azp", auth.CheckAZP},
	{"azp is ", auth.CheckAZP},
	{"nonce does not match", auth.CheckNonce},
	{"does not match at_hash", auth.CheckAtHash},
}
