package testprovider

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func (p *Provider) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	p.DiscoveryCalls.Add(1)
	iss := p.Issuer()
	p.mu.Lock()
	requirePAR := p.requirePAR
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		// Pushed authorization requests (RFC 9126 section 5), par.go.
		"pushed_authorization_request_endpoint": iss + "/par",
		"require_pushed_authorization_requests": requirePAR,
		"issuer":                                iss,
		"authorization_endpoint":                iss + "/authorize",
		"token_endpoint":                        iss + "/token",
		"userinfo_endpoint":                     iss + "/userinfo",
		"jwks_uri":                              iss + "/keys",
		"end_session_endpoint":                  iss + "/logout",
		"revocation_endpoint":                   iss + "/revoke",
		// Like Keycloak: the callback always carries iss (RFC 9207).
		"authorization_response_iss_parameter_supported": true,
		"response_types_supported":                       []string{"code"},
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          []string{"RS256", "PS256", "ES256", "EdDSA"},
		"code_challenge_methods_supported":               []string{"S256"},
		"backchannel_logout_supported":                   true,
		"backchannel_logout_session_supported":           true,
	})
}

// handleAuthorize logs the configured user in at once and redirects back
// with a code, as a provider does after a successful login.
func (p *Provider) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req := authRequestFrom(q)
	p.mu.Lock()
	requirePAR := p.requirePAR
	p.mu.Unlock()
	if uri := q.Get("request_uri"); uri != "" {
		// A pushed request (RFC 9126 section 4): only what was pushed
		// counts, and only once.
		pushed, ok := p.takePushed(uri, q.Get("client_id"))
		if !ok {
			pushed = AuthRequest{ClientID: q.Get("client_id")}
		}
		pushed.RequestURI = uri
		p.mu.Lock()
		p.AuthRequests = append(p.AuthRequests, pushed)
		p.mu.Unlock()
		if !ok {
			http.Error(w, "invalid_request_uri: unknown, used or expired request_uri", http.StatusBadRequest)
			return
		}
		req = pushed
	} else {
		p.mu.Lock()
		p.AuthRequests = append(p.AuthRequests, req)
		p.mu.Unlock()
		if requirePAR {
			http.Error(w, "invalid_request: this provider requires pushed authorization requests", http.StatusBadRequest)
			return
		}
	}

	if problem := p.badAuthRequest(req); problem != "" {
		http.Error(w, problem, http.StatusBadRequest)
		return
	}
	if _, unknown := p.grantScope(req.Scope); unknown != "" {
		// Like Keycloak: a scope the client does not have fails the
		// request, back at the redirect URI (RFC 6749 4.1.2.1).
		redirectError(w, r, req, p.Issuer(), "invalid_scope", "Invalid scopes: "+req.Scope)
		return
	}
	code := p.IssueCode(req)
	if hint := q.Get("login_hint"); hint != "" {
		// Tests log many distinct users in at once: login_hint picks one.
		p.mu.Lock()
		g := p.codes[code]
		g.user.Subject, g.user.PreferredUsername = "sub-"+hint, hint
		g.user.Name, g.user.Email = "User "+hint, hint+"@example.com"
		p.hinted[g.user.Subject] = g.user // userinfo answers about them too
		p.mu.Unlock()
	}
	target, _ := url.Parse(req.RedirectURI)
	tq := target.Query()
	tq.Set("code", code)
	tq.Set("state", req.State)
	tq.Set("iss", p.Issuer()) // RFC 9207, as Keycloak does
	target.RawQuery = tq.Encode()
	http.Redirect(w, r, target.String(), http.StatusFound)
}

// IssueCode creates an authorization code for req without a browser, as if
// the user had logged in. Tests use it to craft callbacks.
func (p *Provider) IssueCode(req AuthRequest) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sessionSeq++
	code := randomString(24)
	p.codes[code] = &grant{
		clientID: req.ClientID, redirectURI: req.RedirectURI, nonce: req.Nonce,
		challenge: req.CodeChallenge, method: req.CodeChallengeMethod,
		scope:     req.Scope,
		sessionID: "sid-" + randomString(8), user: p.user,
	}
	return code
}

func (p *Provider) handleToken(w http.ResponseWriter, r *http.Request) {
	p.TokenRequests.Add(1)
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	if r.PostForm.Get("grant_type") == "client_credentials" {
		id, secret := secretCredentials(r)
		p.clientCredentials(w, id, secret) // the service client: service.go
		return
	}
	if !p.authenticateClient(w, r, p.Issuer()+"/token") {
		return
	}

	jkt, ok := p.tokenDPoP(w, r) // DPoP (RFC 9449), dpop.go
	if !ok {
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		p.exchangeCode(w, r, jkt)
	case "refresh_token":
		p.refreshTokens(w, r, jkt)
	default:
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type")
	}
}

func (p *Provider) exchangeCode(w http.ResponseWriter, r *http.Request, jkt string) {
	p.mu.Lock()
	code := r.PostForm.Get("code")
	g, ok := p.codes[code]
	delete(p.codes, code) // single use, whatever happens next
	p.mu.Unlock()
	if !ok || g.redirectURI != r.PostForm.Get("redirect_uri") {
		tokenError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	// PKCE (RFC 7636 4.6): BASE64URL(SHA256(verifier)) must be the challenge.
	verifier := r.PostForm.Get("code_verifier")
	sum := sha256.Sum256([]byte(verifier))
	withoutPKCE := p.pkceMissingAllowed(g.challenge) && verifier == ""
	if !withoutPKCE && base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		tokenError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	g.jkt = jkt
	p.issueTokens(w, g, openIDRequested(g.scope))
}

func (p *Provider) refreshTokens(w http.ResponseWriter, r *http.Request, jkt string) {
	p.mu.Lock()
	old := r.PostForm.Get("refresh_token")
	g, ok := p.refresh[old]
	delete(p.refresh, old) // refresh token rotation
	p.mu.Unlock()
	if !ok || g.revoked {
		tokenError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	// A grant bound to a DPoP key stays bound to it (RFC 9449 section 5):
	// a refresh without a proof by that key is refused.
	if g.jkt != "" && jkt != g.jkt {
		tokenErrorDescribed(w, http.StatusBadRequest, "invalid_dpop_proof", "the refresh needs a DPoP proof by the key the grant is bound to")
		return
	}
	// Like Keycloak, the refresh response has a new ID token; without a
	// nonce (Core 12.2 allows omitting it). SetRefreshWithoutIDToken
	// leaves it out, as other providers do.
	g.nonce = ""
	p.mu.Lock()
	withIDToken := !p.refreshWithoutIDToken
	p.mu.Unlock()
	p.issueTokens(w, g, withIDToken)
}

func (p *Provider) issueTokens(w http.ResponseWriter, g *grant, withIDToken bool) {
	p.mu.Lock()
	ttl := p.accessTTL
	hook := p.idTokenHook
	signer := p.signer
	idTokenAlg := p.idTokenAlg
	refresh := randomString(24)
	p.refresh[refresh] = g
	p.mu.Unlock()

	now := time.Now()
	scope, _ := p.grantScope(g.scope) // scope.go
	// aud as Keycloak sets it with the demo realm's audience mapper: the
	// demo API (cmd/demo-api) accepts only tokens meant for it.
	accessClaims := map[string]any{
		"iss": p.Issuer(), "sub": g.user.Subject, "aud": []string{APIAudience, "account"}, "azp": g.clientID,
		"scope": scope, "typ": "Bearer",
		"iat": now.Unix(), "exp": now.Add(ttl).Unix(), "sid": g.sessionID,
		"jti":                randomString(12),
		"realm_access":       map[string]any{"roles": g.user.RealmRoles},
		"resource_access":    clientRolesClaim(g.user.ClientRoles),
		"preferred_username": g.user.PreferredUsername,
	}
	tokenType := "Bearer"
	if g.jkt != "" {
		// DPoP-bound (RFC 9449 section 6): the key's thumbprint.
		accessClaims["cnf"] = map[string]any{"jkt": g.jkt}
		tokenType = "DPoP"
	}
	p.mu.Lock()
	if p.tokenType != "" {
		tokenType = p.tokenType // SetTokenType
	}
	omitScope := p.omitResponseScope
	p.mu.Unlock()
	access := p.Sign(accessClaims)
	resp := map[string]any{
		"access_token":  access,
		"token_type":    tokenType,
		"expires_in":    int(ttl.Seconds()),
		"refresh_token": refresh,
	}
	if !omitScope {
		resp["scope"] = scope
	}
	if withIDToken {
		claims := map[string]any{
			"iss": p.Issuer(), "sub": g.user.Subject, "aud": g.clientID, "azp": g.clientID,
			"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "sid": g.sessionID,
			"name": g.user.Name, "preferred_username": g.user.PreferredUsername,
			"email": g.user.Email, "email_verified": true,
			// As the demo realm's mappers put them: realm roles in roles,
			// this client's roles in client_roles (ID token and userinfo).
			"roles": g.user.RealmRoles, "client_roles": g.user.ClientRoles[g.clientID],
			"at_hash": atHashFor(idTokenAlg, access),
		}
		if g.nonce != "" {
			claims["nonce"] = g.nonce
		}
		if hook != nil {
			hook(claims)
		}
		var idToken string
		if signer != nil {
			idToken = signer(claims)
		} else {
			idToken = p.Sign(claims)
		}
		resp["id_token"] = idToken
		p.mu.Lock()
		p.idTokens = append(p.idTokens, idToken)
		p.mu.Unlock()
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, resp)
}

func (p *Provider) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	p.UserInfoCalls.Add(1)
	_, all, err := p.userInfoToken(r) // Bearer, or DPoP with a proof: dpop.go
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", DPoP error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	claims.Sub, _ = all["sub"].(string)
	p.mu.Lock()
	u := p.user
	if hinted, ok := p.hinted[claims.Sub]; ok {
		u = hinted
	}
	if p.userInfoSub != "" {
		claims.Sub = p.userInfoSub
	}
	p.mu.Unlock()
	clientID, _ := all["azp"].(string)
	writeJSON(w, http.StatusOK, map[string]any{
		"sub": claims.Sub, "name": u.Name, "preferred_username": u.PreferredUsername,
		"email": u.Email, "email_verified": true,
		"roles": u.RealmRoles, "client_roles": u.ClientRoles[clientID],
	})
}

func (p *Provider) handleKeys(w http.ResponseWriter, r *http.Request) {
	p.KeysCalls.Add(1)
	p.mu.Lock()
	key := jose.JSONWebKey{Key: p.key.Public(), KeyID: p.keyID, Algorithm: "RS256", Use: "sig"}
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: append([]jose.JSONWebKey{key}, p.algJWKS()...)})
}

func (p *Provider) handleEndSession(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req := EndSessionRequest{
		IDTokenHint: q.Get("id_token_hint"), PostLogoutRedirectURI: q.Get("post_logout_redirect_uri"),
		State: q.Get("state"), ClientID: q.Get("client_id"),
	}
	p.mu.Lock()
	p.EndSessionCalls = append(p.EndSessionCalls, req)
	p.mu.Unlock()
	target, err := url.Parse(req.PostLogoutRedirectURI)
	if err != nil || req.PostLogoutRedirectURI == "" {
		http.Error(w, "missing post_logout_redirect_uri", http.StatusBadRequest)
		return
	}
	tq := target.Query()
	tq.Set("state", req.State)
	target.RawQuery = tq.Encode()
	http.Redirect(w, r, target.String(), http.StatusFound)
}

func clientRolesClaim(roles map[string][]string) map[string]any {
	out := map[string]any{}
	for client, r := range roles {
		out[client] = map[string]any{"roles": r}
	}
	return out
}

func tokenError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]string{"error": code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// handleRevoke is the revocation endpoint (RFC 7009): a client-authenticated
// POST; a refresh token is dead afterwards. 200 whatever the token was.
func (p *Provider) handleRevoke(w http.ResponseWriter, r *http.Request) {
	p.RevocationRequests.Add(1)
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	if !p.authenticateClient(w, r, p.Issuer()+"/revoke") {
		return
	}
	p.mu.Lock()
	failWith := p.revokeFailure
	if failWith == 0 {
		if g, ok := p.refresh[r.PostForm.Get("token")]; ok {
			g.revoked = true
			p.revoked = append(p.revoked, r.PostForm.Get("token"))
		}
	}
	p.mu.Unlock()
	if failWith != 0 {
		http.Error(w, "revocation failed", failWith)
		return
	}
	w.WriteHeader(http.StatusOK)
}
