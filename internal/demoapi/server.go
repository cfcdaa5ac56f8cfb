package demoapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/authcode-demo/authcode-demo/internal/httpserver"
)

// Server is the demo API's HTTP layer.
type Server struct {
	verifier  *Verifier
	logger    *slog.Logger
	realm     string // the realm of WWW-Authenticate challenges: the audience
	adminRole string
	now       func() time.Time
	publicURL string       // what DPoP proofs' htu must name (dpop.go)
	proofs    *replayCache // the DPoP proofs seen (replay.go)
}

// NewServer returns the API. Call Routes to get its http.Handler.
func NewServer(verifier *Verifier, settings Settings, logger *slog.Logger) *Server {
	now := settings.Now
	if now == nil {
		now = time.Now
	}
	return &Server{verifier: verifier, logger: logger, realm: quoteSafe(settings.Audience, 100), adminRole: settings.AdminRole,
		now: now, publicURL: strings.TrimSuffix(settings.PublicURL, "/"),
		proofs: newReplayCache(ProofMaxAge+proofSkew, MaxSeenProofs, MaxProofsPerKey)}
}

// Routes lists every endpoint of the API. There are no cookies and no CORS:
// the app calls the API from its server, never from a browser script.
func (s *Server) Routes() http.Handler {
	r := chi.NewRouter()
	r.Use(httpserver.LogRequests(s.logger, nil), s.headers)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "no such endpoint"})
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "method not allowed"})
	})

	r.Get("/healthz", s.handleHealthz)
	r.Get("/readyz", s.handleReadyz)

	// Every /api endpoint needs a valid access token and a scope (scope.go):
	// reads demo-api.read, the write demo-api.write; /api/admin also a role.
	r.Group(func(r chi.Router) {
		r.Use(s.requireToken)
		r.With(s.requireScope(ScopeRead)).Get("/api/hello", s.handleHello)
		r.With(s.requireScope(ScopeRead), s.requireRealmRole(s.adminRole)).Get("/api/admin", s.handleAdmin)
		r.With(s.requireScope(ScopeWrite)).Post("/api/notes", s.handleNote) // notes.go
	})
	return r
}

type callerKey struct{}

func callerFrom(r *http.Request) Caller {
	c, _ := r.Context().Value(callerKey{}).(Caller)
	return c
}

// MaxAuthorizationBytes bounds the Authorization header: a Keycloak access
// token with many roles is a few kilobytes; anything far longer is refused
// before it is parsed. (cmd/demo-api also caps all headers: MaxHeaderBytes.)
const MaxAuthorizationBytes = 16 << 10

// b64token is the syntax of a bearer token (RFC 6750 section 2.1).
var b64token = regexp.MustCompile(`^[A-Za-z0-9\-._~+/]+=*$`)

// The two authentication schemes the API accepts (RFC 9110 section 11.1
// names schemes case-insensitively: "bearer" and "dpop" are the same).
const (
	schemeBearer = "Bearer" // RFC 6750
	schemeDPoP   = "DPoP"   // RFC 9449 section 7.1
)

// requireToken lets a request through only with a valid access token in
// "Authorization: Bearer <token>" (RFC 6750 section 2.1; tokens in query
// strings or form bodies are not accepted: they end up in logs), or a
// DPoP-bound one in "Authorization: DPoP <token>" with a proof (RFC 9449
// section 7.1). Refusals follow RFC 6750 section 3: 401 with
// WWW-Authenticate challenges, which carry an error code only when a token
// was sent.
func (s *Server) requireToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		headers := r.Header.Values("Authorization")
		if len(headers) > 1 {
			s.refuse(w, r, schemeBearer, http.StatusBadRequest, "invalid_request", "send one Authorization header")
			return
		}
		if len(headers) == 1 && len(headers[0]) > MaxAuthorizationBytes {
			s.refuse(w, r, schemeBearer, http.StatusBadRequest, "invalid_request",
				fmt.Sprintf("the Authorization header is longer than %d bytes", MaxAuthorizationBytes))
			return
		}
		given, raw, _ := strings.Cut(strings.TrimSpace(strings.Join(headers, "")), " ")
		var scheme string
		switch {
		case strings.EqualFold(given, schemeBearer):
			scheme = schemeBearer
		case strings.EqualFold(given, schemeDPoP):
			scheme = schemeDPoP
		default:
			// No token (or another scheme, such as Basic): section 3.1
			// says to send no error code, only how to authenticate.
			s.logger.Info("request without an access token", "path", r.URL.Path)
			s.challenge(w, "", "", "", "")
			writeJSON(w, http.StatusUnauthorized, map[string]string{
				"message": "this API needs an access token: send Authorization: Bearer <token> (or DPoP <token> with a DPoP proof)",
			})
			return
		}
		raw = strings.TrimSpace(raw)
		if !b64token.MatchString(raw) {
			s.refuse(w, r, scheme, http.StatusBadRequest, "invalid_request", "the Authorization header is not "+scheme+" followed by one token")
			return
		}

		caller, err := s.verifier.Verify(r.Context(), raw)
		var tokenErr *TokenError
		switch {
		case errors.Is(err, ErrNotReady):
			w.Header().Set("Retry-After", "5")
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{
				"message": "the API cannot check tokens yet: the identity provider has not been reached",
			})
			return
		case errors.As(err, &tokenErr):
			s.refuse(w, r, scheme, http.StatusUnauthorized, "invalid_token", tokenErr.Description)
			return
		case err != nil:
			s.refuse(w, r, scheme, http.StatusUnauthorized, "invalid_token", "the access token is not valid")
			return
		}
		// A DPoP-bound token (cnf.jkt) needs the DPoP scheme and a proof
		// by its key (RFC 9449 section 7.1); sent as a plain bearer token
		// it is refused (section 7.2), or anyone who stole it could use it.
		if caller.JKT != "" || scheme == schemeDPoP {
			if err := s.checkDPoP(r, scheme == schemeDPoP, raw, caller.JKT); err != nil {
				s.refuseDPoP(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, caller)))
	})
}

// requireRealmRole refuses callers without the realm role with 403 and
// error="insufficient_scope" (RFC 6750 section 3.1): the token is fine, it
// just does not allow this.
func (s *Server) requireRealmRole(role string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if c := callerFrom(r); !c.HasRealmRole(role) {
				scheme := schemeBearer
				if c.JKT != "" {
					scheme = schemeDPoP // a bound token only gets here with the DPoP scheme
				}
				s.refuse(w, r, scheme, http.StatusForbidden, "insufficient_scope",
					"this endpoint needs the realm role "+role+" in realm_access.roles")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// checkDPoP is the DPoP part of a request: a bound token with the DPoP
// scheme and a valid proof (dpop.go), and the DPoP scheme only with a
// bound token.
func (s *Server) checkDPoP(r *http.Request, dpop bool, token, jkt string) error {
	switch {
	case !dpop:
		return &TokenError{"the access token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof"}
	case jkt == "":
		return &TokenError{"Authorization: DPoP needs a DPoP-bound token (cnf.jkt), this one is a bearer token"}
	}
	return s.checkProof(r, token, jkt)
}

// refuseDPoP answers a request whose DPoP part failed: 401 with the error
// in the DPoP challenge (RFC 9449 section 7.1), or 429/503 when the proof
// was fine but cannot be remembered now (replay.go).
func (s *Server) refuseDPoP(w http.ResponseWriter, r *http.Request, err error) {
	var busy *BusyError
	if errors.As(err, &busy) {
		s.logger.Warn("DPoP proof not accepted now", "path", r.URL.Path, "status", busy.Status, "reason", busy.Description)
		w.Header().Set("Retry-After", strconv.Itoa(int(replaySpan.Seconds())))
		writeJSON(w, busy.Status, map[string]string{"message": busy.Description})
		return
	}
	code := "invalid_token"
	if _, ok := err.(*ProofError); ok {
		code = "invalid_dpop_proof"
	}
	s.refuse(w, r, schemeDPoP, http.StatusUnauthorized, code, err.Error())
}

// refuse answers with challenges carrying an error code (RFC 6750 section
// 3) in the challenge of scheme, the scheme the token was sent with.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, scheme string, status int, code, description string) {
	description = quoteSafe(description, 200)
	s.logger.Info("request refused", "path", r.URL.Path, "status", status, "error", code,
		"reason", description, "scheme", scheme, "sub", callerFrom(r).Subject)
	s.challenge(w, scheme, code, description, "")
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// challenge sets WWW-Authenticate to one challenge per scheme the API
// accepts, Bearer (RFC 6750 section 3) and DPoP (RFC 9449 section 7.1),
// as two header fields (RFC 9110 section 11.6.1 allows several
// challenges; RFC 9449 section 7.2 names this case). The error goes in the
// challenge of scheme, which comes first; with scheme "" (no token sent)
// neither carries an error (RFC 6750 section 3.1). scope, when not "",
// names the scope the request needs, beside the error (RFC 6750 section
// 3; RFC 9449 section 7.1 allows it in the DPoP challenge too).
func (s *Server) challenge(w http.ResponseWriter, scheme, code, description, scope string) {
	bearer := fmt.Sprintf(`Bearer realm=%q`, s.realm)
	if scheme == schemeBearer && code != "" {
		bearer += fmt.Sprintf(`, error=%q, error_description=%q`, code, description)
		if scope != "" {
			bearer += fmt.Sprintf(`, scope=%q`, scope)
		}
	}
	if scheme == schemeDPoP {
		w.Header().Add("WWW-Authenticate", dpopChallenge(code, description, scope))
		w.Header().Add("WWW-Authenticate", bearer)
		return
	}
	w.Header().Add("WWW-Authenticate", bearer)
	w.Header().Add("WWW-Authenticate", dpopChallenge("", "", ""))
}

// helloResponse is the answer of GET /api/hello: what the API learnt from
// the token alone.
type helloResponse struct {
	Message           string   `json:"message"`
	Subject           string   `json:"sub"`
	PreferredUsername string   `json:"preferred_username"`
	Scope             string   `json:"scope"`
	AuthorizedParty   string   `json:"azp"`
	Audience          []string `json:"aud"`
	RealmRoles        []string `json:"realm_roles"`
	TokenExpiresAt    string   `json:"token_expires_at"`
}

// adminResponse is the answer of GET /api/admin.
type adminResponse struct {
	Message           string   `json:"message"`
	Subject           string   `json:"sub"`
	PreferredUsername string   `json:"preferred_username"`
	RealmRoles        []string `json:"realm_roles"`
}

func (s *Server) handleHello(w http.ResponseWriter, r *http.Request) {
	c := callerFrom(r)
	name := c.PreferredUsername
	if name == "" {
		name = c.Subject
	}
	writeJSON(w, http.StatusOK, helloResponse{
		Message: fmt.Sprintf("Hello, %s! The demo API checked your access token itself: "+
			"signed with the realm's key, issued by the realm, for the audience %s, not expired.", name, s.realm),
		Subject:           c.Subject,
		PreferredUsername: c.PreferredUsername,
		Scope:             c.Scope,
		AuthorizedParty:   c.AuthorizedParty,
		Audience:          nonNil(c.Audience),
		RealmRoles:        nonNil(c.RealmRoles),
		TokenExpiresAt:    c.Expiry.UTC().Format(time.RFC3339),
	})
}

func (s *Server) handleAdmin(w http.ResponseWriter, r *http.Request) {
	c := callerFrom(r)
	writeJSON(w, http.StatusOK, adminResponse{
		Message:           fmt.Sprintf("Welcome, %s: your token carries the realm role %s, so /api/admin lets you in.", c.PreferredUsername, s.adminRole),
		Subject:           c.Subject,
		PreferredUsername: c.PreferredUsername,
		RealmRoles:        nonNil(c.RealmRoles),
	})
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz answers 200 once the provider's discovery document (and so
// its keys) has been fetched: before that, no token can be checked.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if !s.verifier.Ready() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "identity provider not discovered yet"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// headers: answers are about one caller and must not be cached or sniffed.
func (s *Server) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // readable "<token>"; the answer is JSON, never HTML
	enc.Encode(v)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
