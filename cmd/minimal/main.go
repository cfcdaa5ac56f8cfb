// Command minimal is the whole OpenID Connect login in one file: read this
// first. It is the Authorization Code flow (RFC 6749 section 4.1) with PKCE
// (RFC 7636) and OpenID Connect Core 1.0 (section 3.1), as client demo-minimal.
// The app does the same, with every protection, in handlers/ and internal/auth/;
// it shares no code with this file, on purpose.
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-chi/chi/v5"
	"golang.org/x/oauth2"
)

func main() {
	if err := run(context.Background(), os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "minimal:", err)
		os.Exit(1)
	}
}

// run serves until the process is stopped; the defaults fit the demo realm.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	logger := slog.New(slog.NewTextHandler(stdout, nil))
	handler, err := newServer(ctx, getenv, logger)
	if err != nil {
		return err
	}
	addr := cmp.Or(getenv("LISTEN_ADDR"), "localhost:3003")
	srv := &http.Server{Addr: addr, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	logger.Info("listening", "addr", srv.Addr)
	return srv.ListenAndServe()
}

type server struct {
	log      *slog.Logger
	sessions *scs.SessionManager
	provider *oidc.Provider
	oauth    oauth2.Config
	baseURL  string
	page     *template.Template
}

// newServer reads the provider's discovery document and returns the routes.
func newServer(ctx context.Context, getenv func(string) string, logger *slog.Logger) (http.Handler, error) {
	issuer := cmp.Or(getenv("OIDC_ISSUER"), "http://localhost:8080/realms/demo")
	clientID := cmp.Or(getenv("OIDC_CLIENT_ID"), "demo-minimal")
	baseURL := strings.TrimSuffix(cmp.Or(getenv("BASE_URL"), "http://localhost:3003"), "/")
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		return nil, fmt.Errorf("discovering the provider %s: %w", issuer, err)
	}
	sessions := scs.New()
	sessions.Store = memstore.New()
	sessions.Lifetime, sessions.IdleTimeout = 8*time.Hour, 30*time.Minute
	sessions.Cookie.Name = "minimal_session" // not the app's "session": cookies ignore ports
	sessions.Cookie.HttpOnly = true
	sessions.Cookie.SameSite = http.SameSiteLaxMode // Lax: sent when the provider redirects back
	sessions.Cookie.Secure = strings.HasPrefix(baseURL, "https://")
	s := &server{
		log: logger, sessions: sessions, provider: provider, baseURL: baseURL,
		page: template.Must(template.New("page").Parse(pageHTML)),
		oauth: oauth2.Config{
			ClientID: clientID, ClientSecret: cmp.Or(getenv("OIDC_CLIENT_SECRET"), "demo-minimal-secret-change-me"),
			Endpoint: provider.Endpoint(), RedirectURL: baseURL + "/callback",
			Scopes: []string{oidc.ScopeOpenID, "profile", "email"},
		},
	}
	r := chi.NewRouter()
	r.Use(sessions.LoadAndSave)
	r.Get("/", s.home)
	r.Get("/login", s.login)
	r.Get("/callback", s.callback)
	// POST only; a browser's cross-origin POST gets a 403: no other site can log you out.
	r.With(http.NewCrossOriginProtection().Handler).Post("/logout", s.logout)
	return r, nil
}

// login sends the browser to the provider (RFC 6749 section 4.1.1, Core
// 3.1.2.1) with three fresh random values, kept in this browser's session:
//   - state: the callback must bring it back, so no one can make this browser
//     finish a login they started (login CSRF, RFC 6749 section 10.12);
//   - nonce: the provider copies it into the ID token (Core 3.1.2.1);
//   - code_verifier: only its SHA-256 goes in the URL, as the S256
//     code_challenge (RFC 7636 section 4.2), and the token endpoint checks it
//     (4.6): that binds the code to the login that started it.
func (s *server) login(w http.ResponseWriter, r *http.Request) {
	state, nonce, verifier := rand.Text(), rand.Text(), oauth2.GenerateVerifier()
	s.sessions.Put(r.Context(), "state", state)
	s.sessions.Put(r.Context(), "nonce", nonce)
	s.sessions.Put(r.Context(), "verifier", verifier)
	target := s.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	http.Redirect(w, r, target, http.StatusFound)
}

// callback is the redirect_uri: the browser comes back with ?code&state
// (RFC 6749 section 4.1.2). The login's values are popped: they work once.
func (s *server) callback(w http.ResponseWriter, r *http.Request) {
	ctx, query := r.Context(), r.URL.Query()
	state, nonce := s.sessions.PopString(ctx, "state"), s.sessions.PopString(ctx, "nonce")
	verifier := s.sessions.PopString(ctx, "verifier")

	// 1. The state must be the one in this browser's session (RFC 6749
	// section 10.12), before anything else the request brought is used.
	if state == "" || query.Get("state") != state {
		s.fail(w, r, http.StatusBadRequest, errors.New("state is not this browser's login"))
		return
	}
	// 2. The provider may send an error instead of a code (RFC 6749 4.1.2.1).
	if code := query.Get("error"); code != "" {
		s.fail(w, r, http.StatusBadRequest, fmt.Errorf("the provider answered %.64q", code))
		return
	}

	// 3. Exchange the code on the back channel (RFC 6749 section 4.1.3) with our
	// client secret (2.3.1), so a thief with only the code cannot redeem it; the
	// provider also refuses a code issued to another client or redirect_uri
	// (4.1.3), or used before (4.1.2). With it goes the code_verifier (RFC 7636
	// section 4.5): a code stolen from another login and pushed into this one
	// (code injection, RFC 9700 section 4.5) is bound to another challenge (4.5.3.1).
	token, err := s.oauth.Exchange(ctx, query.Get("code"), oauth2.VerifierOption(verifier))
	var refused *oauth2.RetrieveError
	if errors.As(err, &refused) && refused.ErrorCode != "" {
		s.fail(w, r, http.StatusBadRequest, err) // an OAuth error: it refused the code
		return
	} else if err != nil {
		s.fail(w, r, http.StatusBadGateway, err) // the provider failed or is unreachable
		return
	}

	// 4. The ID token (Core 3.1.3.3) came straight from the token endpoint, so
	// TLS server validation MAY vouch for its issuer instead of its signature
	// (Core 3.1.3.7 step 6). This demo talks plain HTTP to localhost: go-oidc
	// checks the signature with the provider's keys (step 6), iss (step 2),
	// that aud contains our client_id (step 3) and exp (step 9).
	rawIDToken, _ := token.Extra("id_token").(string)
	idToken, err := s.provider.Verifier(&oidc.Config{ClientID: s.oauth.ClientID}).Verify(ctx, rawIDToken)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err)
		return
	}
	// Step 3 also rejects a token with audiences we do not trust; we trust only us
	// (go-oidc does not check this). Steps 4-5 check azp only for extensions
	// that use it; we use none, so we ignore it (Core section 2, azp).
	if len(idToken.Audience) != 1 {
		s.fail(w, r, http.StatusBadRequest, fmt.Errorf("id token audiences %q", idToken.Audience))
		return
	}
	// Step 11: the ID token MUST carry the nonce we sent. Checked before any
	// token is used, it stops code injection too (RFC 9700 section 4.5.3.2).
	if idToken.Nonce != nonce {
		s.fail(w, r, http.StatusBadRequest, errors.New("id token nonce is not this login's"))
		return
	}

	// 5. Userinfo (Core 5.3) with the access token. Its sub MUST exactly
	// match the ID token's, or none of its values may be used (Core 5.3.2):
	// it could be about someone else (token substitution, Core 16.11).
	info, err := s.provider.UserInfo(ctx, oauth2.StaticTokenSource(token))
	if err != nil {
		s.fail(w, r, http.StatusBadGateway, err)
		return
	}
	var claims struct{ Name string }
	if info.Subject != idToken.Subject || info.Claims(&claims) != nil {
		s.fail(w, r, http.StatusBadRequest, fmt.Errorf("userinfo refused: sub %q, ID token's %q", info.Subject, idToken.Subject))
		return
	}

	// 6. A new session token before the user goes in: a token planted in this
	// browser before the login must not become a logged-in one (session fixation).
	if err := s.sessions.RenewToken(ctx); err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	s.sessions.Put(ctx, "sub", idToken.Subject)
	s.sessions.Put(ctx, "name", claims.Name)
	s.sessions.Put(ctx, "id_token", rawIDToken) // for the logout
	s.log.Info("login", "sub", idToken.Subject)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// logout ends our session, then the provider's at the end_session_endpoint of
// its discovery document (RP-Initiated Logout 1.0 section 2); otherwise its
// session stays, and the next login passes without a password. id_token_hint
// (RECOMMENDED) names the session; the provider sends the browser back only
// to a registered post_logout_redirect_uri (section 3).
func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	idToken := s.sessions.GetString(r.Context(), "id_token")
	if err := s.sessions.Destroy(r.Context()); err != nil {
		s.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	var discovered struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if s.provider.Claims(&discovered) != nil || discovered.EndSession == "" || idToken == "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	query := url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {s.baseURL + "/"}}
	http.Redirect(w, r, discovered.EndSession+"?"+query.Encode(), http.StatusSeeOther)
}

type page struct{ Error, Subject, Name string }

// home shows who is logged in, from the session only.
func (s *server) home(w http.ResponseWriter, r *http.Request) {
	get := func(key string) string { return s.sessions.GetString(r.Context(), key) }
	s.render(w, http.StatusOK, page{Subject: get("sub"), Name: get("name")})
}

// fail logs why (never a token) and shows a plain error page.
func (s *server) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	s.log.Warn("refused", "path", r.URL.Path, "status", status, "err", err)
	s.render(w, status, page{Error: fmt.Sprintf("%d %s", status, http.StatusText(status))})
}

// render writes the page; its template is a constant, so only the write can fail.
func (s *server) render(w http.ResponseWriter, status int, data page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := s.page.Execute(w, data); err != nil {
		s.log.Warn("writing the page", "err", err)
	}
}

const pageHTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Minimal OpenID Connect client</title></head>
<body><main><h1>Minimal OpenID Connect client</h1>
{{if .Error}}<p role="alert">That did not work (<span data-testid="error">{{.Error}}</span>). <a href="/login">Log in again</a></p>
{{else if .Subject}}<p>Logged in as <strong data-testid="name">{{.Name}}</strong>, subject (sub) <span data-testid="sub">{{.Subject}}</span>.</p>
<form method="post" action="/logout"><button type="submit" data-testid="logout">Log out</button></form>
{{else}}<p data-testid="logged-out">You are not logged in.</p><p><a href="/login" data-testid="login">Log in</a></p>{{end}}</main></body></html>`
