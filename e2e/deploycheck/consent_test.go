package deploycheck

// The consent instance (client demo-app-consent, :3005): docker compose's
// service app-consent and scripts/demo.sh must run it as the realm
// registers it, with its own session cookie.

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

const (
	consentService      = "app-consent"
	consentSecret       = "demo-app-consent-secret-change-me"
	consentCookie       = "session_consent"
	consentComposeBacks = "http://app-consent:3005/backchannel-logout"
)

// consentComposeProblems checks the compose service against the realm's
// client (realm) and the app's own service.
func consentComposeProblems(p *types.Project, raw []byte) problems {
	var ps problems
	s, err := p.GetService(consentService)
	if err != nil {
		ps.addf("%s: no service %s (the instance that asks for consent)", composeFile, consentService)
		return ps
	}
	env := envOf(s)
	var r scopesRealmRep
	json.Unmarshal(raw, &r)
	var c *scopedClientRep
	for i := range r.Clients {
		if r.Clients[i].ClientID == consentClientID {
			c = &r.Clients[i]
		}
	}
	if c == nil {
		ps.addf("%s: no client %s", realmFile, consentClientID)
		return ps
	}
	if env["OIDC_CLIENT_ID"] != consentClientID || env["OIDC_CLIENT_SECRET"] != c.Secret || c.Secret != consentSecret {
		ps.addf("%s: OIDC_CLIENT_ID/OIDC_CLIENT_SECRET = %q/%q, the realm's client is %s/%s", consentService,
			env["OIDC_CLIENT_ID"], env["OIDC_CLIENT_SECRET"], consentClientID, c.Secret)
	}
	if env["BASE_URL"] != consentBaseURL || !publishes(s, 3005) {
		ps.addf("%s: BASE_URL = %q and port 3005 published, want %s (the realm's redirect URI)", consentService, env["BASE_URL"], consentBaseURL)
	}
	if u, err := url.Parse(env["BASE_URL"]); err == nil && !strings.HasSuffix(env["LISTEN_ADDR"], ":"+u.Port()) {
		ps.addf("%s: LISTEN_ADDR = %q, want the port of BASE_URL", consentService, env["LISTEN_ADDR"])
	}
	if cookie := env["SESSION_COOKIE_NAME"]; cookie == "" || cookie == "session" || cookie == "session2" || cookie == "session3" {
		ps.addf("%s: SESSION_COOKIE_NAME = %q: cookies are not port-specific, so it needs a name of its own", consentService, cookie)
	}
	if env["API_URL"] != "http://api:4000" {
		ps.addf("%s: API_URL = %q, want http://api:4000 (the compose network)", consentService, env["API_URL"])
	}
	kc, err := p.GetService("keycloak")
	if err == nil && envOf(kc)[consentBackchan] != consentComposeBacks {
		ps.addf("keycloak: %s = %q, want %s (Keycloak reaches the instance over the compose network)",
			consentBackchan, envOf(kc)[consentBackchan], consentComposeBacks)
	}
	return ps
}

// consentScriptProblems checks scripts/demo.sh's consent program.
func consentScriptProblems(demo string) problems {
	var ps problems
	for _, want := range []string{
		"[consent]=3005", "OIDC_CLIENT_ID=" + consentClientID, "OIDC_CLIENT_SECRET=" + consentSecret,
		"BASE_URL=" + consentBaseURL, "SESSION_COOKIE_NAME=" + consentCookie,
	} {
		if !strings.Contains(demo, want) {
			ps.addf("%s does not contain %q", demoScript, want)
		}
	}
	return ps
}

func TestConsentInstance(t *testing.T) {
	root := repoRoot(t)
	report(t, consentComposeProblems(loadProject(t, root), readRealm(t, root)))
	report(t, consentScriptProblems(readText(t, root, demoScript)))
}

func TestConsentChecksCatchMistakes(t *testing.T) {
	root := repoRoot(t)
	raw := readRealm(t, root)
	setEnv := func(p *types.Project, k, v string) {
		s := p.Services[consentService]
		s.Environment[k] = &v
		p.Services[consentService] = s
	}
	for _, tc := range []struct {
		name, want string
		mutate     func(p *types.Project)
	}{
		{"no service", "no service", func(p *types.Project) { delete(p.Services, consentService) }},
		{"the main client", "OIDC_CLIENT_ID", func(p *types.Project) { setEnv(p, "OIDC_CLIENT_ID", "demo-app") }},
		{"another secret", "OIDC_CLIENT_SECRET", func(p *types.Project) { setEnv(p, "OIDC_CLIENT_SECRET", "x") }},
		{"port 3000", "BASE_URL", func(p *types.Project) { setEnv(p, "BASE_URL", "http://localhost:3000") }},
		{"the app's cookie", "SESSION_COOKIE_NAME", func(p *types.Project) { setEnv(p, "SESSION_COOKIE_NAME", "session") }},
		{"the API on localhost", "API_URL", func(p *types.Project) { setEnv(p, "API_URL", "http://localhost:4000") }},
		{"listening elsewhere", "LISTEN_ADDR", func(p *types.Project) { setEnv(p, "LISTEN_ADDR", ":3000") }},
		{"Keycloak's back-channel URL", consentBackchan, func(p *types.Project) {
			kc := p.Services["keycloak"]
			delete(kc.Environment, consentBackchan)
			p.Services["keycloak"] = kc
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := loadProject(t, root)
			tc.mutate(p)
			expectProblem(t, consentComposeProblems(p, raw), tc.want)
		})
	}
	t.Run("demo.sh without the cookie", func(t *testing.T) {
		demo := strings.ReplaceAll(readText(t, root, demoScript), "SESSION_COOKIE_NAME="+consentCookie, "")
		expectProblem(t, consentScriptProblems(demo), consentCookie)
	})
}
