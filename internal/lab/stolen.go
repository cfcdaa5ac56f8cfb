package lab

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"

	"github.com/authcode-demo/authcode-demo/internal/apiclient"
	"github.com/authcode-demo/authcode-demo/internal/auth"
)

// Stolen access tokens, replayed at the demo API from the lab's server, a
// machine that is not the client the token was issued to.

// SeedCookieName is the seed app's session cookie (cmd/seed/cookie.go).
// Cookies are not port-specific: the browser sends localhost:3004's cookie
// to every port of localhost, so the lab on localhost:3000 receives it.
const SeedCookieName = "seed_session"

// SeedAccessToken reads the access token out of the seed app's session
// cookie: base64url(JSON) "." signature, signed but not encrypted, as
// Flask's is. Anyone who sees the cookie can read it; no key is needed.
func SeedAccessToken(cookieValue string) (string, bool) {
	payload, _, ok := strings.Cut(cookieValue, ".")
	if !ok {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return "", false
	}
	var s struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(raw, &s) != nil || s.AccessToken == "" {
		return "", false
	}
	return s.AccessToken, true
}

// Replay is one way a thief presents a stolen access token.
type Replay string

const (
	// AsBearer: "Authorization: Bearer <token>", as any bearer token is
	// used (RFC 6750 section 2.1).
	AsBearer Replay = "bearer"
	// AsDPoPWithoutProof: "Authorization: DPoP <token>" with no DPoP
	// header (RFC 9449 section 7.1 asks for one).
	AsDPoPWithoutProof Replay = "dpop-no-proof"
	// AsDPoPWithOtherKey: a well-formed DPoP proof for this very request,
	// signed by a key of the thief's, not the one the token is bound to.
	AsDPoPWithOtherKey Replay = "dpop-other-key"
)

// ErrNoAPI: the app has no demo API configured (API_URL).
var ErrNoAPI = errors.New("no demo API is configured (API_URL)")

// ReplayAtAPI sends GET /api/hello to the demo API with token, presented
// as how says, and returns the exchange as the /api page shows one (the
// token itself abbreviated). A refusal is an answer, not an error.
func (l *Lab) ReplayAtAPI(ctx context.Context, token string, how Replay) (apiclient.Exchange, error) {
	if l.settings.APIURL == "" {
		return apiclient.Exchange{}, ErrNoAPI
	}
	base, err := url.Parse(l.settings.APIURL)
	if err != nil {
		return apiclient.Exchange{}, ErrNoAPI
	}
	client := l.client(nil)
	scheme := "Bearer"
	switch how {
	case AsDPoPWithoutProof:
		scheme = "DPoP"
	case AsDPoPWithOtherKey:
		scheme = "DPoP"
		thief, err := auth.GenerateSigningKey()
		if err != nil {
			return apiclient.Exchange{}, err
		}
		// The transport signs a proof for each request, with ath, the
		// token's hash: everything right but the key.
		client.Transport = &auth.DPoPTransport{Base: l.transport, Key: thief}
	}
	return apiclient.New(base, client).GetAs(ctx, "/api/hello", scheme, token)
}

// DPoPBound reports whether an access token says it is bound to a key
// (cnf.jkt, RFC 9449 section 6.1). The token is read, not verified: the
// API is the one that checks it.
func DPoPBound(accessToken string) bool {
	parts := strings.Split(accessToken, ".")
	if len(parts) != 3 {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return false
	}
	var claims struct {
		Cnf struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
	}
	return json.Unmarshal(raw, &claims) == nil && claims.Cnf.JKT != ""
}
