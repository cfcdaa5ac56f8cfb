package testprovider

import (
	"crypto/subtle"
	"net/http"
	"net/url"
)

// authenticateClient checks the login client's authentication on a
// back-channel request (token, PAR, revocation) whose form is parsed, and
// answers 401 invalid_client when it fails. endpoint is the URL the
// request was sent to.
func (p *Provider) authenticateClient(w http.ResponseWriter, r *http.Request, endpoint string) bool {
	// client_secret_basic or client_secret_post (RFC 6749 2.3.1).
	id, secret := secretCredentials(r)
	if id != p.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(p.ClientSecret)) != 1 {
		tokenError(w, http.StatusUnauthorized, "invalid_client")
		return false
	}
	return true
}

// secretCredentials reads a client id and secret from HTTP Basic (form
// encoded, RFC 6749 2.3.1) or from the form.
func secretCredentials(r *http.Request) (id, secret string) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		return r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	id, _ = url.QueryUnescape(id)
	secret, _ = url.QueryUnescape(secret)
	return id, secret
}
