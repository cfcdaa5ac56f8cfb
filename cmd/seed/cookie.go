package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
)

// session is what the Flask app kept in its session.
type session struct {
	AccessToken string `json:"access_token,omitempty"`
	Next        string `json:"next,omitempty"`
}

// cookieName is not Flask's "session": cookies are not port-specific, and
// the main app on localhost:3000 uses that name.
const cookieName = "seed_session"

// signedCookie is Flask's session cookie in miniature: the session as
// base64url(JSON) "." base64url(HMAC-SHA256). Signed, NOT encrypted: the
// signature stops changes, but anyone who sees the cookie (its value is in
// every request) can decode it and read the access token.
type signedCookie struct {
	key []byte // Flask's app.secret_key, new at every start
}

func newSignedCookie() (signedCookie, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return signedCookie{}, err
	}
	return signedCookie{key: key}, nil
}

func (c signedCookie) sign(payload string) string {
	mac := hmac.New(sha256.New, c.key)
	mac.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// read returns the session in the request's cookie; a missing, altered or
// unreadable cookie is an empty session.
func (c signedCookie) read(r *http.Request) session {
	var s session
	cookie, err := r.Cookie(cookieName)
	if err != nil {
		return s
	}
	payload, sig, ok := strings.Cut(cookie.Value, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(c.sign(payload))) {
		return s
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || json.Unmarshal(raw, &s) != nil {
		return session{}
	}
	return s
}

// write sets the cookie with Flask's defaults: HttpOnly, no SameSite
// attribute, not Secure.
func (c signedCookie) write(w http.ResponseWriter, s session) {
	raw, _ := json.Marshal(s) // two strings: cannot fail
	payload := base64.RawURLEncoding.EncodeToString(raw)
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: payload + "." + c.sign(payload), Path: "/", HttpOnly: true})
}

func (c signedCookie) clear(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", HttpOnly: true, MaxAge: -1})
}
