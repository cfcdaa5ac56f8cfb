package main

// The seed Flask example, route by route. Each "FLAW" comment names the
// attack the line lets through and the specification text it breaks; the
// attack lab (the main app's /lab) fires those attacks at this app.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-chi/chi/v5"
	"golang.org/x/oauth2"
)

// seed holds what the Flask app kept in module globals.
type seed struct {
	oauth       oauth2.Config
	userinfoURL string
	cookies     signedCookie
	client      *http.Client // for the token and userinfo endpoints
	log         *slog.Logger
}

// newSeed reads the provider's discovery document (go-oidc is used for that
// and nothing else: the seed verifies no token).
func newSeed(ctx context.Context, cfg config, logger *slog.Logger) (*seed, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	discoverCtx := oidc.ClientContext(ctx, client)
	if cfg.discoveryURL != cfg.issuer {
		// docker compose: discovery over the compose network, which names
		// the browser's address (the issuer) for the authorization endpoint
		// (shared/KEYCLOAK.md, "Issuer in docker compose").
		discoverCtx = oidc.InsecureIssuerURLContext(discoverCtx, cfg.issuer)
	}
	provider, err := oidc.NewProvider(discoverCtx, cfg.discoveryURL)
	if err != nil {
		return nil, fmt.Errorf("reading the discovery document at %s (is Keycloak running? scripts/keycloak.sh start): %w", cfg.discoveryURL, err)
	}
	endpoint := provider.Endpoint()
	// client_secret_basic: Authlib's default, the usual Flask OAuth library.
	endpoint.AuthStyle = oauth2.AuthStyleInHeader
	secret, err := newSignedCookie()
	if err != nil {
		return nil, err
	}
	return &seed{
		oauth: oauth2.Config{
			ClientID:     cfg.clientID,
			ClientSecret: cfg.clientSecret,
			Endpoint:     endpoint,
			RedirectURL:  cfg.baseURL + "/callback",
			Scopes:       []string{oidc.ScopeOpenID},
		},
		userinfoURL: provider.UserInfoEndpoint(),
		cookies:     secret,
		client:      client,
		log:         logger,
	}, nil
}

func (s *seed) routes() http.Handler {
	r := chi.NewRouter()
	r.Get("/", s.home)
	r.Get("/login", s.login)
	r.Get("/callback", s.callback)
	r.Get("/logout", s.logout)
	// Not in the Flask original: for scripts/demo.sh, docker compose and the
	// tests. Discovery is done before the seed listens: once it answers, it
	// is ready.
	ok := func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") }
	r.Get("/healthz", ok)
	r.Get("/readyz", ok)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.page(w, http.StatusNotFound, pageView{Title: "Not found", Message: "There is no such page here."})
	})
	return r
}

// login sends the browser to the authorization endpoint.
func (s *seed) login(w http.ResponseWriter, r *http.Request) {
	sess := s.cookies.read(r)
	// FLAW (open redirect): the vulnerable pattern
	//     redirect(request.args.get("next"))
	// spread over two requests: ?next= is remembered as it is, and the
	// callback sends the browser there, even to another site. "Clients MUST
	// NOT expose open redirectors" (RFC 9700 section 4.11.1).
	sess.Next = r.URL.Query().Get("next")
	s.cookies.write(w, sess)

	// FLAW (login CSRF): no state. Nothing ties the callback to this
	// browser, so an attacker's code delivered to /callback logs the victim
	// into the attacker's account (RFC 6749 section 10.12: "The client MUST
	// implement CSRF protection for its redirection URI"; RFC 9700 4.7).
	// FLAW (code injection): no PKCE and no nonce. A code stolen from
	// another login is redeemed here as if it were this browser's
	// (RFC 9700 sections 2.1.1 and 4.5).
	// The realm allows it: demo-seed does not require PKCE.
	http.Redirect(w, r, s.oauth.AuthCodeURL(""), http.StatusFound)
}

// callback trades the code for tokens and keeps the access token.
func (s *seed) callback(w http.ResponseWriter, r *http.Request) {
	// FLAW (login CSRF): whatever arrives here is taken: there is no state
	// to compare (RFC 6749 section 10.12).
	// FLAW (no issuer check): the iss parameter Keycloak sends is never
	// looked at (RFC 9207 section 2.4 says how a client compares it). With
	// one provider that alone is no hole ("OAuth clients that interact with
	// only one authorization server are not vulnerable to mix-up attacks",
	// RFC 9207 section 1); a client of two would not know which one the
	// code came from.
	code := r.URL.Query().Get("code")
	if code == "" {
		s.page(w, http.StatusBadRequest, pageView{Title: "Login failed", Message: "The callback carried no authorization code."})
		return
	}
	ctx := context.WithValue(r.Context(), oauth2.HTTPClient, s.client)
	token, err := s.oauth.Exchange(ctx, code) // the client secret goes along
	if err != nil {
		s.log.Warn("token exchange failed", "err", err)
		status, message := http.StatusBadGateway, "The token endpoint did not answer."
		if retrieveErr := (*oauth2.RetrieveError)(nil); errors.As(err, &retrieveErr) {
			status, message = http.StatusBadRequest, "The token endpoint refused the code ("+retrieveErr.ErrorCode+")."
		}
		s.page(w, status, pageView{Title: "Login failed", Message: message})
		return
	}

	// FLAW (no authentication): the ID token in the response is never read,
	// let alone validated ("Clients MUST validate the ID Token in the Token
	// Response", OpenID Connect Core 1.0 section 3.1.3.7), so nothing says
	// who logged in, for which client, or in answer to which request.
	// Holding an access token is taken as proof of login.
	sess := s.cookies.read(r)
	next := sess.Next
	s.cookies.write(w, session{AccessToken: token.AccessToken})
	s.log.Info("logged in (an access token is in the session cookie)")
	if next == "" {
		next = "/"
	}
	// FLAW (open redirect, RFC 9700 section 4.11.1): next is followed
	// unchecked, to any site.
	http.Redirect(w, r, next, http.StatusFound)
}

// home says "logged in" when the session holds an access token.
func (s *seed) home(w http.ResponseWriter, r *http.Request) {
	sess := s.cookies.read(r)
	if sess.AccessToken == "" {
		s.page(w, http.StatusOK, pageView{Title: "Seed app"})
		return
	}
	// FLAW: an access token in the session counts as "logged in". The
	// name shown is whoever the token belongs to: after a login CSRF, the
	// attacker.
	view := pageView{Title: "Seed app", LoggedIn: true}
	view.Username, view.UserinfoProblem = s.preferredUsername(r.Context(), sess.AccessToken)
	s.page(w, http.StatusOK, view)
}

// preferredUsername asks the userinfo endpoint whose access token this is.
// On failure it returns a sentence saying what went wrong (no secret).
func (s *seed) preferredUsername(ctx context.Context, accessToken string) (name, problem string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.userinfoURL, nil)
	if err != nil {
		return "", "The userinfo request could not be built."
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := s.client.Do(req)
	if err != nil {
		return "", "The userinfo endpoint did not answer."
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		return "", "The userinfo endpoint refused the access token (HTTP 401: expired or revoked), yet this app still calls you logged in."
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Sprintf("The userinfo endpoint answered HTTP %d, yet this app still calls you logged in.", resp.StatusCode)
	}
	var claims struct {
		PreferredUsername string `json:"preferred_username"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&claims); err != nil {
		return "", "The userinfo answer was not JSON."
	}
	return claims.PreferredUsername, ""
}

// logout forgets the session.
func (s *seed) logout(w http.ResponseWriter, r *http.Request) {
	// FLAW (logout CSRF): a GET that changes state, so other pages can log
	// you out: a link on any site (a top-level GET carries the cookie), an
	// <img> on any page of the same site (localhost, any port). GET is
	// meant to be safe, essentially read-only (RFC 9110 section 9.2.1).
	// And it only forgets the cookie: the Keycloak session lives on, so
	// "Log in" comes straight back without a password (the seed does no
	// RP-Initiated Logout).
	s.cookies.clear(w)
	http.Redirect(w, r, "/", http.StatusFound)
}
