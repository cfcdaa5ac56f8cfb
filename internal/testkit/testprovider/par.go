package testprovider

import (
	"net/http"
	"net/url"
	"time"
)

// Pushed Authorization Requests (RFC 9126): the client POSTs its
// authorization request to /par, authenticated, and the browser brings only
// client_id and the request_uri it got back. Like Keycloak, a request_uri
// works once and for a minute.

// requestURIPrefix is the URN form RFC 9126 section 2.2 suggests.
const requestURIPrefix = "urn:ietf:params:oauth:request_uri:"

// pushedTTL is how long a request_uri may be used (Keycloak: 60 s).
const pushedTTL = time.Minute

type pushedRequest struct {
	req     AuthRequest
	expires time.Time
}

// SetRequirePAR makes the provider say require_pushed_authorization_requests
// in its discovery document and refuse authorization requests that were not
// pushed (RFC 9126 section 5).
func (p *Provider) SetRequirePAR(require bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requirePAR = require
}

// PushedRequests returns the forms POSTed to /par that the provider
// accepted, oldest first.
func (p *Provider) PushedRequests() []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]url.Values(nil), p.pushedForms...)
}

// handlePAR is the pushed authorization request endpoint (RFC 9126 2.1):
// client authentication, the authorization request's parameters as a form,
// and 201 with a single-use request_uri.
func (p *Provider) handlePAR(w http.ResponseWriter, r *http.Request) {
	p.PARRequests.Add(1)
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	if !p.authenticateClient(w, r, p.Issuer()+"/par") {
		return
	}
	form := r.PostForm
	// Section 2.1: a pushed request must not itself carry a request_uri.
	if form.Has("request_uri") {
		tokenError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	req := authRequestFrom(form)
	if problem := p.badAuthRequest(req); problem != "" {
		tokenError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	uri := requestURIPrefix + randomString(24)
	p.mu.Lock()
	p.pushed[uri] = &pushedRequest{req: req, expires: time.Now().Add(pushedTTL)}
	p.pushedForms = append(p.pushedForms, form)
	p.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, map[string]any{"request_uri": uri, "expires_in": int(pushedTTL.Seconds())})
}

// takePushed returns the pushed request of uri and forgets it (single use,
// section 4). ok is false for an unknown, used or expired request_uri, or
// one pushed by another client.
func (p *Provider) takePushed(uri, clientID string) (AuthRequest, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr, ok := p.pushed[uri]
	delete(p.pushed, uri)
	if !ok || time.Now().After(pr.expires) || pr.req.ClientID != clientID {
		return AuthRequest{}, false
	}
	return pr.req, true
}

func authRequestFrom(q url.Values) AuthRequest {
	return AuthRequest{
		ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"),
		ResponseType: q.Get("response_type"), Scope: q.Get("scope"),
		State: q.Get("state"), Nonce: q.Get("nonce"),
		CodeChallenge: q.Get("code_challenge"), CodeChallengeMethod: q.Get("code_challenge_method"),
	}
}

// badAuthRequest says what is wrong with an authorization request, or "".
func (p *Provider) badAuthRequest(req AuthRequest) string {
	if req.ClientID != p.ClientID || req.ResponseType != "code" || req.RedirectURI == "" {
		return "invalid authorization request"
	}
	if !p.redirectURIAllowed(req.RedirectURI) {
		return "Invalid parameter: redirect_uri"
	}
	if !p.pkceMissingAllowed(req.CodeChallenge) && (req.CodeChallengeMethod != "S256" || req.CodeChallenge == "") {
		return "invalid authorization request"
	}
	return ""
}
