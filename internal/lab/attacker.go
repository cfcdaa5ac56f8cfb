package lab

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
)

// maxHops bounds the redirects and forms of one login.
const maxHops = 12

// CodeFrom plays the attacker's browser, with a cookie jar of its own: it
// opens start (a client's /login, or an authorization request), logs in
// with creds when the provider shows its login form, and follows the
// redirects until one leads to callback, the target's redirect_uri. It
// stops there and returns that redirect's URL, with the code, state and
// iss the provider sent (RFC 6749 section 4.1.2, RFC 9207): the attacker
// keeps the code instead of using it.
func (l *Lab) CodeFrom(ctx context.Context, start, callback string, creds Credentials) (*url.URL, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	want, err := url.Parse(callback)
	if err != nil {
		return nil, fmt.Errorf("the callback %q is not a URL", callback)
	}
	client := l.client(jar)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, start, nil)
	if err != nil {
		return nil, fmt.Errorf("the start %q is not a URL", start)
	}
	loggedIn := false
	for range maxHops {
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", req.Method, endpoint(req.URL), err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("%s %s: reading the answer: %w", req.Method, endpoint(req.URL), err)
		}

		if loc, err := resp.Location(); err == nil && isRedirect(resp.StatusCode) {
			if endpoint(loc) == endpoint(want) {
				return loc, nil // the provider sends the browser back with a code
			}
			if req, err = http.NewRequestWithContext(ctx, http.MethodGet, loc.String(), nil); err != nil {
				return nil, err
			}
			continue
		}
		form, found := findLoginForm(body, req.URL)
		switch {
		case resp.StatusCode == http.StatusOK && found && !loggedIn:
			// The provider's login page: type the attacker's own
			// username and password, as anyone may.
			loggedIn = true
			form.fields.Set(form.username, creds.Username)
			form.fields.Set(form.password, creds.Password)
			req, err = http.NewRequestWithContext(ctx, http.MethodPost, form.action.String(), strings.NewReader(form.fields.Encode()))
			if err != nil {
				return nil, err
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		case found:
			return nil, fmt.Errorf("the provider at %s showed its login form again after %s's password: is %s a user of that realm (keycloak/*-realm.json)?",
				endpoint(req.URL), creds.Username, creds.Username)
		default:
			return nil, fmt.Errorf("%s %s: HTTP %d, neither a redirect nor a login form", req.Method, endpoint(req.URL), resp.StatusCode)
		}
	}
	return nil, fmt.Errorf("no redirect to %s after %d steps", endpoint(want), maxHops)
}

func isRedirect(status int) bool {
	return status == http.StatusFound || status == http.StatusSeeOther ||
		status == http.StatusMovedPermanently || status == http.StatusTemporaryRedirect
}

// endpoint is a URL without its query: what the lab compares and what its
// errors name (a query can hold a code or a session code).
func endpoint(u *url.URL) string {
	return u.Scheme + "://" + u.Host + u.Path
}
