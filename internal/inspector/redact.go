package inspector

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Redacted is what the record keeps instead of a secret.
const Redacted = "(redacted)"

// secretForm are form fields never kept: the client secret (client_secret_post)
// would let anyone act as the app.
var secretForm = []string{"client_secret"}

// RedactedSignature replaces the signature of a client assertion
// (private_key_jwt) in the record: its header and claims are what a learner
// reads; without the signature it proves nothing to anyone.
const RedactedSignature = "(signature redacted)"

// tokenFields are the tokens in a token response. The record keeps only
// their start, enough to recognise them: the whole tokens are on /tokens.
var tokenFields = []string{"access_token", "id_token", "refresh_token"}

// requestHeaders keeps the headers worth showing, with the credentials in
// Authorization replaced by a description of what they were.
func requestHeaders(req *http.Request) []Header {
	var hs []Header
	if auth := req.Header.Get("Authorization"); auth != "" {
		scheme, _, _ := strings.Cut(auth, " ")
		what := "the access token"
		if strings.EqualFold(scheme, "Basic") {
			what = "client_id:client_secret, base64"
		}
		hs = append(hs, Header{"Authorization", scheme + " " + Redacted + " (" + what + ")"})
	}
	if ct := req.Header.Get("Content-Type"); ct != "" {
		hs = append(hs, Header{"Content-Type", ct})
	}
	// A DPoP proof (RFC 9449): its header and claims, not its signature.
	if proof := req.Header.Get("DPoP"); proof != "" {
		hs = append(hs, Header{"DPoP", withoutSignature(proof)})
	}
	return hs
}

func responseHeaders(resp *http.Response) []Header {
	var hs []Header
	for _, name := range []string{"Content-Type", "Cache-Control", "Pragma", "DPoP-Nonce", "WWW-Authenticate"} {
		if v := resp.Header.Get(name); v != "" {
			hs = append(hs, Header{name, v})
		}
	}
	return hs
}

// redactForm replaces secret fields of a form body. The authorization code
// and the code_verifier stay: both are spent once the login completed (a code
// works once, RFC 6749 4.1.2), and they are what a learner came to see.
func redactForm(body string) string {
	form, err := url.ParseQuery(body)
	if err != nil || len(form) == 0 {
		return body
	}
	for _, name := range secretForm {
		if form.Has(name) {
			form.Set(name, Redacted)
		}
	}
	if jwt := form.Get("client_assertion"); jwt != "" {
		form.Set("client_assertion", withoutSignature(jwt))
	}
	// Keep the order the client sent: url.Values.Encode would sort it.
	var parts []string
	for _, pair := range strings.Split(body, "&") {
		name, _, _ := strings.Cut(pair, "=")
		key, _ := url.QueryUnescape(name)
		parts = append(parts, url.QueryEscape(key)+"="+url.QueryEscape(form.Get(key)))
	}
	return strings.Join(parts, "&")
}

// redactJSON shortens the tokens in a JSON object body (a token response).
// Anything else is kept as it is.
func redactJSON(raw []byte) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return string(raw)
	}
	changed := false
	for _, name := range tokenFields {
		var token string
		if json.Unmarshal(fields[name], &token) != nil || token == "" {
			continue
		}
		fields[name], _ = json.Marshal(abbreviate(token))
		changed = true
	}
	if !changed {
		return string(raw)
	}
	out, _ := json.MarshalIndent(fields, "", "  ")
	return string(out)
}

// abbreviate keeps the start of a JWT's header (no secret in it) and says
// how long the token was; of an opaque token it keeps nothing.
func abbreviate(token string) string {
	const keep = 16
	if !strings.HasPrefix(token, "eyJ") || len(token) <= keep {
		return fmt.Sprintf("%s (%d characters: the whole token is on /tokens)", Redacted, len(token))
	}
	return fmt.Sprintf("%s… (%d characters: the whole token is on /tokens)", token[:keep], len(token))
}

// withoutSignature keeps a compact JWS's header and payload and replaces
// its signature; anything else is replaced as a whole.
func withoutSignature(jwt string) string {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return Redacted
	}
	return parts[0] + "." + parts[1] + "." + RedactedSignature
}
