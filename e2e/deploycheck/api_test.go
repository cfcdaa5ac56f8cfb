package deploycheck

// The demo API (resource server), the client credentials client and the
// second app instance (single sign-on and single logout): the realm, the
// compose services, config.example.env, scripts/keycloak.sh and
// scripts/demo.sh must agree on client ids, secrets, audiences, ports and
// URLs, or the /api page and single logout fail only at run time.

import (
	"encoding/json"
	"maps"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/authcode-demo/authcode-demo/internal/config"
)

const (
	apiAudience     = "demo-api"
	secondClientID  = "demo-app-2"
	secondBaseURL   = "http://localhost:3001"
	secondBackchan  = "APP2_BACKCHANNEL_LOGOUT_URL"
	composeBackchan = "http://app2:3001/backchannel-logout"
	demoScript      = "scripts/demo.sh"
	dockerfile      = "Dockerfile"
)

// clientByID finds a client of the realm file.
func clientByID(r realmRep, id string) *clientRep {
	for i := range r.Clients {
		if r.Clients[i].ClientID == id {
			return &r.Clients[i]
		}
	}
	return nil
}

// audienceProblems checks that c has an oidc-audience-mapper that puts
// audience into access tokens only (an ID token is for the app, not the API).
func audienceProblems(ps *problems, c *clientRep, audience string) {
	for _, m := range c.ProtocolMappers {
		if m.ProtocolMapper != "oidc-audience-mapper" || m.Config["included.custom.audience"] != audience {
			continue
		}
		if m.Protocol != "openid-connect" {
			ps.addf("client %s: audience mapper protocol = %q, want openid-connect", c.ClientID, m.Protocol)
		}
		if m.Config["access.token.claim"] != "true" {
			ps.addf("client %s: audience mapper access.token.claim = %q, want true (the API checks aud)", c.ClientID, m.Config["access.token.claim"])
		}
		if m.Config["id.token.claim"] != "false" {
			ps.addf("client %s: audience mapper id.token.claim = %q, want false (ID tokens are not for the API)", c.ClientID, m.Config["id.token.claim"])
		}
		return
	}
	ps.addf("client %s has no oidc-audience-mapper with included.custom.audience %q: its access tokens would be refused by the demo API", c.ClientID, audience)
}

// apiRealmProblems checks the realm file against config.example.env (env)
// and the compose app2 service's view of the second client (app2Env).
func apiRealmProblems(raw []byte, env, app2Env map[string]string) problems {
	var ps problems
	var r realmRep
	if err := json.Unmarshal(raw, &r); err != nil {
		ps.addf("%s: %v", realmFile, err)
		return ps
	}
	audience := env["API_AUDIENCE"]
	if audience != apiAudience {
		ps.addf("%s: API_AUDIENCE = %q, want %q", exampleEnv, audience, apiAudience)
	}

	// The app's own client: its access tokens must be meant for the API.
	if c := clientByID(r, env["OIDC_CLIENT_ID"]); c == nil {
		ps.addf("no client %q (OIDC_CLIENT_ID)", env["OIDC_CLIENT_ID"])
	} else {
		audienceProblems(&ps, c, audience)
	}

	// The client credentials client: a service account, nothing else.
	svcID := env["OIDC_SERVICE_CLIENT_ID"]
	if svc := clientByID(r, svcID); svc == nil {
		ps.addf("no client %q (OIDC_SERVICE_CLIENT_ID of %s) in %s", svcID, exampleEnv, realmFile)
	} else {
		if svc.PublicClient == nil || *svc.PublicClient {
			ps.addf("client %s must say publicClient: false (client credentials need a secret)", svcID)
		}
		if svc.Secret == "" || svc.Secret != env["OIDC_SERVICE_CLIENT_SECRET"] {
			ps.addf("client %s secret %q != OIDC_SERVICE_CLIENT_SECRET %q", svcID, svc.Secret, env["OIDC_SERVICE_CLIENT_SECRET"])
		}
		if !isTrue(svc.ServiceAccountsEnabled) {
			ps.addf("client %s: serviceAccountsEnabled must be true (the client credentials grant)", svcID)
		}
		for name, v := range map[string]*bool{
			"standardFlowEnabled":       svc.StandardFlowEnabled,
			"directAccessGrantsEnabled": svc.DirectAccessGrantsEnabled,
			"implicitFlowEnabled":       svc.ImplicitFlowEnabled,
		} {
			if v == nil || *v {
				ps.addf("client %s: %s must be false, explicitly (it logs nobody in)", svcID, name)
			}
		}
		if len(svc.RedirectURIs) > 0 {
			ps.addf("client %s has redirect URIs %q: it never sends a browser anywhere", svcID, svc.RedirectURIs)
		}
		audienceProblems(&ps, svc, audience)
	}
	// Its service account must not be an administrator: /api/admin refuses it.
	var users []struct {
		Username               string   `json:"username"`
		ServiceAccountClientID string   `json:"serviceAccountClientId"`
		RealmRoles             []string `json:"realmRoles"`
	}
	var top struct {
		Users json.RawMessage `json:"users"`
		Roles struct {
			Realm []struct {
				Name       string `json:"name"`
				Composites struct {
					Realm []string `json:"realm"`
				} `json:"composites"`
			} `json:"realm"`
		} `json:"roles"`
	}
	json.Unmarshal(raw, &top)
	json.Unmarshal(top.Users, &users)
	for _, u := range users {
		if u.ServiceAccountClientID == svcID && slices.Contains(u.RealmRoles, "admin") {
			ps.addf("the service account of %s has the realm role admin: the demo shows it without", svcID)
		}
	}
	for _, role := range top.Roles.Realm {
		if role.Name == "default-roles-"+r.Realm && slices.Contains(role.Composites.Realm, "admin") {
			ps.addf("default-roles-%s includes admin: every user and service account would be an administrator", r.Realm)
		}
	}

	// The second instance's client: demo-app's settings at another URL.
	id := app2Env["OIDC_CLIENT_ID"]
	c := clientByID(r, id)
	if c == nil {
		ps.addf("no client %q (compose app2 OIDC_CLIENT_ID) in %s", id, realmFile)
		return ps
	}
	base := strings.TrimSuffix(app2Env["BASE_URL"], "/")
	if c.PublicClient == nil || *c.PublicClient {
		ps.addf("client %s must say publicClient: false", id)
	}
	if c.Secret == "" || c.Secret != app2Env["OIDC_CLIENT_SECRET"] {
		ps.addf("client %s secret %q != compose app2 OIDC_CLIENT_SECRET %q", id, c.Secret, app2Env["OIDC_CLIENT_SECRET"])
	}
	if !isTrue(c.StandardFlowEnabled) {
		ps.addf("client %s: standardFlowEnabled must be true", id)
	}
	for name, v := range map[string]*bool{
		"directAccessGrantsEnabled": c.DirectAccessGrantsEnabled,
		"implicitFlowEnabled":       c.ImplicitFlowEnabled,
		"serviceAccountsEnabled":    c.ServiceAccountsEnabled,
		"frontchannelLogout":        c.FrontchannelLogout, // back-channel logout only without it
	} {
		if v == nil || *v {
			ps.addf("client %s: %s must be false, explicitly", id, name)
		}
	}
	if want := []string{base + "/callback", base + "/slow/callback"}; !slices.Equal(c.RedirectURIs, want) {
		ps.addf("client %s redirectUris = %q, want exactly %q", id, c.RedirectURIs, want)
	}
	attr := c.Attributes
	if attr["pkce.code.challenge.method"] != "S256" {
		ps.addf("client %s pkce.code.challenge.method = %q, want S256", id, attr["pkce.code.challenge.method"])
	}
	if got, want := attr["post.logout.redirect.uris"], base+"/"; got != want {
		ps.addf("client %s post.logout.redirect.uris = %q, want %q", id, got, want)
	}
	if attr["backchannel.logout.session.required"] != "true" {
		ps.addf("client %s backchannel.logout.session.required = %q, want true", id, attr["backchannel.logout.session.required"])
	}
	if got, want := attr["backchannel.logout.url"], "${"+secondBackchan+":"+base+"/backchannel-logout}"; got != want {
		ps.addf("client %s backchannel.logout.url = %q, want %q (single logout reaches it)", id, got, want)
	}
	hasRoles := false
	for _, m := range c.ProtocolMappers {
		hasRoles = hasRoles || (m.ProtocolMapper == "oidc-usermodel-realm-role-mapper" && m.Config["claim.name"] == "roles" && m.Config["id.token.claim"] == "true")
	}
	if !hasRoles {
		ps.addf("client %s has no realm roles mapper (claim roles in the ID token), unlike demo-app", id)
	}
	audienceProblems(&ps, c, audience)
	return ps
}

// apiComposeProblems checks the api and app2 services and what they share
// with the app and Keycloak.
func apiComposeProblems(p *types.Project, env map[string]string, dockerfileText string) problems {
	var ps problems
	app, err := p.GetService("app")
	if err != nil {
		ps.addf("service app: %v", err)
		return ps
	}
	appEnv := envOf(app)
	api, apiErr := p.GetService("api")
	app2, app2Err := p.GetService("app2")
	kc, kcErr := p.GetService("keycloak")
	for name, err := range map[string]error{"api": apiErr, "app2": app2Err, "keycloak": kcErr} {
		if err != nil {
			ps.addf("service %s: %v", name, err)
		}
	}
	if apiErr != nil || app2Err != nil || kcErr != nil {
		return ps
	}

	// The API: its own binary from the app's image, the app's issuer.
	apiEnv := envOf(api)
	apiCfg, err := config.LoadAPI(func(k string) string { return apiEnv[k] }, nil)
	if err != nil {
		ps.addf("api: the demo API would refuse its environment: %v", err)
	}
	if !slices.Equal([]string(api.Entrypoint), []string{"/demo-api"}) {
		ps.addf("api: entrypoint = %q, want [/demo-api]", api.Entrypoint)
	}
	if !regexp.MustCompile(`go build[^\n]*-o /out/demo-api \./cmd/demo-api`).MatchString(dockerfileText) ||
		!strings.Contains(dockerfileText, "COPY --from=build /out/demo-api /demo-api") {
		ps.addf("%s does not build ./cmd/demo-api into /demo-api", dockerfile)
	}
	if api.Build == nil || app.Build == nil || api.Build.Context != app.Build.Context || api.Build.Dockerfile != app.Build.Dockerfile {
		ps.addf("api is not built from the app's Dockerfile")
	}
	if apiEnv["OIDC_ISSUER"] != appEnv["OIDC_ISSUER"] || apiEnv["OIDC_DISCOVERY_URL"] != appEnv["OIDC_DISCOVERY_URL"] {
		ps.addf("api: OIDC_ISSUER/OIDC_DISCOVERY_URL = %q/%q, the app has %q/%q (the same realm, seen the same way)",
			apiEnv["OIDC_ISSUER"], apiEnv["OIDC_DISCOVERY_URL"], appEnv["OIDC_ISSUER"], appEnv["OIDC_DISCOVERY_URL"])
	}
	if apiCfg.Audience != env["API_AUDIENCE"] {
		ps.addf("api: API_AUDIENCE = %q, %s has %q (the realm's audience mapper)", apiCfg.Audience, exampleEnv, env["API_AUDIENCE"])
	}
	_, apiPort, _ := net.SplitHostPort(apiCfg.ListenAddr)
	if apiPort != "4000" || !publishes(api, 4000) {
		ps.addf("api: listens on %q and publishes %v, want 4000 for both", apiCfg.ListenAddr, api.Ports)
	}
	if d, ok := api.DependsOn["keycloak"]; !ok || d.Condition != types.ServiceConditionHealthy {
		ps.addf("api must depend on keycloak with condition %s", types.ServiceConditionHealthy)
	}

	// The app calls the API over the compose network.
	if u := mustURL(&ps, "app API_URL", appEnv["API_URL"]); u != nil && (u.Hostname() != "api" || u.Port() != apiPort) {
		ps.addf("app API_URL = %q, want http://api:%s (the api service)", appEnv["API_URL"], apiPort)
	}
	// DPoP proofs name the URL the app calls (htu); the API compares it
	// with its API_PUBLIC_URL.
	if apiCfg.PublicURL != strings.TrimSuffix(appEnv["API_URL"], "/") {
		ps.addf("api: API_PUBLIC_URL is %q, but the app calls it at API_URL %q: every DPoP proof would be refused (htu)",
			apiCfg.PublicURL, appEnv["API_URL"])
	}
	if _, ok := app.DependsOn["api"]; ok {
		ps.addf("app depends on api: the scale profile's replicas (extends app) would start it too; the app copes without it")
	}
	for _, k := range []string{"OIDC_SERVICE_CLIENT_ID", "OIDC_SERVICE_CLIENT_SECRET"} {
		if appEnv[k] != env[k] {
			ps.addf("app %s = %q, %s has %q", k, appEnv[k], exampleEnv, env[k])
		}
	}
	if _, err := config.Load(func(k string) string { return appEnv[k] }, nil); err != nil {
		ps.addf("app: the app would refuse its environment: %v", err)
	}

	// The second instance: same image and realm, another client, port and
	// cookie name, and Keycloak can reach its back-channel logout.
	app2Env := envOf(app2)
	cfg2, err := config.Load(func(k string) string { return app2Env[k] }, nil)
	if err != nil {
		ps.addf("app2: the app would refuse its environment: %v", err)
		return ps
	}
	if cfg2.ClientID != secondClientID || cfg2.BaseURL.String() != secondBaseURL {
		ps.addf("app2: OIDC_CLIENT_ID %q, BASE_URL %q; want %s at %s", cfg2.ClientID, cfg2.BaseURL, secondClientID, secondBaseURL)
	}
	if _, port, _ := net.SplitHostPort(cfg2.ListenAddr); port != "3001" || !publishes(app2, 3001) {
		ps.addf("app2: listens on %q and publishes %v, want 3001 for both (its BASE_URL)", cfg2.ListenAddr, app2.Ports)
	}
	if publishes(app2, 3000) {
		ps.addf("app2 publishes port 3000, the app's")
	}
	appCookie := appEnv["SESSION_COOKIE_NAME"]
	if appCookie == "" {
		appCookie = "session"
	}
	if cfg2.SessionCookieName == appCookie {
		ps.addf("app2: SESSION_COOKIE_NAME = %q, the app's too: both run on localhost, cookies are not port-specific, each would overwrite the other's session", cfg2.SessionCookieName)
	}
	for _, k := range []string{"OIDC_ISSUER", "OIDC_DISCOVERY_URL", "API_URL"} {
		if app2Env[k] != appEnv[k] {
			ps.addf("app2: %s = %q, the app has %q", k, app2Env[k], appEnv[k])
		}
	}
	if d, ok := app2.DependsOn["keycloak"]; !ok || d.Condition != types.ServiceConditionHealthy {
		ps.addf("app2 must depend on keycloak with condition %s", types.ServiceConditionHealthy)
	}
	if got := envOf(kc)[secondBackchan]; got != composeBackchan {
		ps.addf("keycloak %s = %q, want %q (Keycloak reaches app2 over the compose network)", secondBackchan, got, composeBackchan)
	}
	return ps
}

// scriptProblems checks that scripts/keycloak.sh sets the second client's
// back-channel URL for a local run, and that scripts/demo.sh starts the
// second instance as the realm expects.
func apiScriptProblems(keycloakScript, demo string) problems {
	var ps problems
	m := regexp.MustCompile(secondBackchan + `="\$\{` + secondBackchan + `:-([^}"]+)\}"`).FindStringSubmatch(keycloakScript)
	if want := secondBaseURL + "/backchannel-logout"; m == nil || m[1] != want {
		ps.addf("%s does not set %s (default %s)", scriptFile, secondBackchan, want)
	}
	for _, want := range []string{
		"OIDC_CLIENT_ID=" + secondClientID, "BASE_URL=" + secondBaseURL, "SESSION_COOKIE_NAME=session2",
		"OIDC_CLIENT_SECRET=demo-app-2-secret-change-me", "./cmd/demo-api", "scripts/keycloak.sh",
	} {
		if !strings.Contains(demo, want) {
			ps.addf("%s does not contain %q", demoScript, want)
		}
	}
	return ps
}

func app2EnvOf(t *testing.T, p *types.Project) map[string]string {
	t.Helper()
	app2, err := p.GetService("app2")
	if err != nil {
		t.Fatalf("service app2: %v", err)
	}
	return envOf(app2)
}

func readText(t *testing.T, root, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAPIAndSecondInstance(t *testing.T) {
	root := repoRoot(t)
	env := readEnvFile(t, filepath.Join(root, exampleEnv))
	p := loadProject(t, root)
	report(t, apiRealmProblems(readRealm(t, root), env, app2EnvOf(t, p)))
	report(t, apiComposeProblems(p, env, readText(t, root, dockerfile)))
	report(t, apiScriptProblems(readText(t, root, scriptFile), readText(t, root, demoScript)))

	// config.example.env is a configuration both programs accept.
	if _, err := config.Load(func(k string) string { return env[k] }, nil); err != nil {
		t.Errorf("%s: the app refuses it: %v", exampleEnv, err)
	}
	if _, err := config.LoadAPI(func(k string) string { return env[k] }, nil); err != nil {
		t.Errorf("%s: the demo API refuses it: %v", exampleEnv, err)
	}
	// API_URL points at API_LISTEN_ADDR's port.
	cfg, _ := config.Load(func(k string) string { return env[k] }, nil)
	apiCfg, _ := config.LoadAPI(func(k string) string { return env[k] }, nil)
	if _, port, _ := net.SplitHostPort(apiCfg.ListenAddr); cfg.APIURL == nil || cfg.APIURL.Port() != port {
		t.Errorf("%s: API_URL %v does not point at API_LISTEN_ADDR %q", exampleEnv, cfg.APIURL, apiCfg.ListenAddr)
	}
	if cfg.APIURL != nil && apiCfg.PublicURL != cfg.APIURL.String() {
		t.Errorf("%s: the API's public URL %q (API_PUBLIC_URL) is not API_URL %v: DPoP proofs would be refused (htu)", exampleEnv, apiCfg.PublicURL, cfg.APIURL)
	}
}

// Each mistake must be caught.
func TestAPIChecksCatchMistakes(t *testing.T) {
	root := repoRoot(t)
	env := readEnvFile(t, filepath.Join(root, exampleEnv))
	raw := readRealm(t, root)
	df := readText(t, root, dockerfile)
	kcScript, demo := readText(t, root, scriptFile), readText(t, root, demoScript)
	app2Env := app2EnvOf(t, loadProject(t, root))

	clientNamed := func(r map[string]any, id string) map[string]any {
		for _, c := range r["clients"].([]any) {
			if c := c.(map[string]any); c["clientId"] == id {
				return c
			}
		}
		panic("no client " + id)
	}
	audienceMapper := func(r map[string]any, id string) map[string]any {
		for _, m := range clientNamed(r, id)["protocolMappers"].([]any) {
			if m := m.(map[string]any); m["protocolMapper"] == "oidc-audience-mapper" {
				return m["config"].(map[string]any)
			}
		}
		panic("no audience mapper on " + id)
	}
	realmCases := []struct {
		name, want string
		mutate     func(r map[string]any)
	}{
		{"app without the audience mapper", "demo-app has no oidc-audience-mapper", func(r map[string]any) {
			clientNamed(r, "demo-app")["protocolMappers"] = clientNamed(r, "demo-app")["protocolMappers"].([]any)[:1]
		}},
		{"audience in the ID token", "id.token.claim", func(r map[string]any) { audienceMapper(r, "demo-app")["id.token.claim"] = "true" }},
		{"audience not in the access token", "access.token.claim", func(r map[string]any) {
			audienceMapper(r, "demo-app-service")["access.token.claim"] = "false"
		}},
		{"another audience", "included.custom.audience", func(r map[string]any) {
			audienceMapper(r, "demo-app-2")["included.custom.audience"] = "other-api"
		}},
		{"service client secret", "OIDC_SERVICE_CLIENT_SECRET", func(r map[string]any) { clientNamed(r, "demo-app-service")["secret"] = "x" }},
		{"service accounts off", "serviceAccountsEnabled", func(r map[string]any) {
			clientNamed(r, "demo-app-service")["serviceAccountsEnabled"] = false
		}},
		{"service client logs people in", "standardFlowEnabled", func(r map[string]any) {
			delete(clientNamed(r, "demo-app-service"), "standardFlowEnabled")
		}},
		{"service account is admin", "service account", func(r map[string]any) {
			r["users"] = append(r["users"].([]any), map[string]any{
				"username": "service-account-demo-app-service", "serviceAccountClientId": "demo-app-service",
				"realmRoles": []any{"default-roles-demo", "admin"},
			})
		}},
		{"default roles include admin", "default-roles-demo includes admin", func(r map[string]any) {
			roles := r["roles"].(map[string]any)
			roles["realm"] = append(roles["realm"].([]any), map[string]any{
				"name": "default-roles-demo", "composite": true, "composites": map[string]any{"realm": []any{"admin"}},
			})
		}},
		{"second client gone", "no client \"demo-app-2\"", func(r map[string]any) { clientNamed(r, "demo-app-2")["clientId"] = "x" }},
		{"second client public", "publicClient", func(r map[string]any) { delete(clientNamed(r, "demo-app-2"), "publicClient") }},
		{"second client on port 3000", "redirectUris", func(r map[string]any) {
			clientNamed(r, "demo-app-2")["redirectUris"] = []any{"http://localhost:3000/callback"}
		}},
		{"second client front-channel", "frontchannelLogout", func(r map[string]any) { clientNamed(r, "demo-app-2")["frontchannelLogout"] = true }},
		{"second client back-channel literal", "backchannel.logout.url", func(r map[string]any) {
			clientNamed(r, "demo-app-2")["attributes"].(map[string]any)["backchannel.logout.url"] = "http://localhost:3001/backchannel-logout"
		}},
		{"second client without sid", "session.required", func(r map[string]any) {
			delete(clientNamed(r, "demo-app-2")["attributes"].(map[string]any), "backchannel.logout.session.required")
		}},
		{"second client plain PKCE", "pkce", func(r map[string]any) {
			clientNamed(r, "demo-app-2")["attributes"].(map[string]any)["pkce.code.challenge.method"] = "plain"
		}},
		{"second client without roles mapper", "realm roles mapper", func(r map[string]any) {
			clientNamed(r, "demo-app-2")["protocolMappers"] = clientNamed(r, "demo-app-2")["protocolMappers"].([]any)[1:]
		}},
	}
	for _, tc := range realmCases {
		t.Run("realm/"+tc.name, func(t *testing.T) {
			var r map[string]any
			if err := json.Unmarshal(raw, &r); err != nil {
				t.Fatal(err)
			}
			tc.mutate(r)
			b, _ := json.Marshal(r)
			expectProblem(t, apiRealmProblems(b, env, app2Env), tc.want)
		})
	}
	t.Run("env/other service client", func(t *testing.T) {
		e := maps.Clone(env)
		e["OIDC_SERVICE_CLIENT_ID"] = "demo-app"
		expectProblem(t, apiRealmProblems(raw, e, app2Env), "serviceAccountsEnabled")
	})
	t.Run("env/other audience", func(t *testing.T) {
		e := maps.Clone(env)
		e["API_AUDIENCE"] = "api"
		expectProblem(t, apiRealmProblems(raw, e, app2Env), "API_AUDIENCE")
	})

	setEnv := func(p *types.Project, service, k, v string) {
		s := p.Services[service]
		s.Environment = maps.Clone(s.Environment)
		if v == "" {
			delete(s.Environment, k)
		} else {
			s.Environment[k] = &v
		}
		p.Services[service] = s
	}
	composeCases := []struct {
		name, want string
		mutate     func(p *types.Project)
		dockerfile string
	}{
		{"api gone", "service api", func(p *types.Project) { delete(p.Services, "api") }, df},
		{"api runs the app", "entrypoint", func(p *types.Project) {
			s := p.Services["api"]
			s.Entrypoint = nil
			p.Services["api"] = s
		}, df},
		{"Dockerfile without the API", "does not build ./cmd/demo-api", nil, strings.ReplaceAll(df, "./cmd/demo-api", "./cmd/other")},
		{"api with another audience", "API_AUDIENCE", func(p *types.Project) { setEnv(p, "api", "API_AUDIENCE", "other") }, df},
		{"api discovers via localhost", "OIDC_DISCOVERY_URL", func(p *types.Project) {
			setEnv(p, "api", "OIDC_DISCOVERY_URL", "http://localhost:8080/realms/demo")
		}, df},
		{"api not published", "publishes", func(p *types.Project) {
			s := p.Services["api"]
			s.Ports = nil
			p.Services["api"] = s
		}, df},
		{"app calls localhost", "API_URL", func(p *types.Project) { setEnv(p, "app", "API_URL", "http://localhost:4000") }, df},
		{"api public URL left to its default", "API_PUBLIC_URL", func(p *types.Project) { setEnv(p, "api", "API_PUBLIC_URL", "") }, df},
		{"api public URL not the app's API_URL", "API_PUBLIC_URL", func(p *types.Project) { setEnv(p, "api", "API_PUBLIC_URL", "https://api.example.com") }, df},
		{"app depends on api", "depends on api", func(p *types.Project) {
			s := p.Services["app"]
			s.DependsOn = maps.Clone(s.DependsOn)
			s.DependsOn["api"] = types.ServiceDependency{Condition: types.ServiceConditionStarted}
			p.Services["app"] = s
		}, df},
		{"app with another service secret", "OIDC_SERVICE_CLIENT_SECRET", func(p *types.Project) {
			setEnv(p, "app", "OIDC_SERVICE_CLIENT_SECRET", "x")
		}, df},
		{"app2 shares the cookie name", "SESSION_COOKIE_NAME", func(p *types.Project) { setEnv(p, "app2", "SESSION_COOKIE_NAME", "") }, df},
		{"app2 with the app's client", "OIDC_CLIENT_ID", func(p *types.Project) { setEnv(p, "app2", "OIDC_CLIENT_ID", "demo-app") }, df},
		{"app2 on 3000", "publishes", func(p *types.Project) { setEnv(p, "app2", "LISTEN_ADDR", ":3000") }, df},
		{"app2 unreachable for Keycloak", secondBackchan, func(p *types.Project) {
			setEnv(p, "keycloak", secondBackchan, "http://localhost:3001/backchannel-logout")
		}, df},
	}
	for _, tc := range composeCases {
		t.Run("compose/"+tc.name, func(t *testing.T) {
			p := loadProject(t, root)
			if tc.mutate != nil {
				tc.mutate(p)
			}
			expectProblem(t, apiComposeProblems(p, env, tc.dockerfile), tc.want)
		})
	}

	t.Run("script/no APP2 URL", func(t *testing.T) {
		expectProblem(t, apiScriptProblems(strings.ReplaceAll(kcScript, secondBackchan, "X"), demo), secondBackchan)
	})
	t.Run("script/demo.sh shares the cookie", func(t *testing.T) {
		expectProblem(t, apiScriptProblems(kcScript, strings.ReplaceAll(demo, "SESSION_COOKIE_NAME=session2", "SESSION_COOKIE_NAME=session")), "session2")
	})
}
