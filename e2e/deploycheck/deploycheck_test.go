package deploycheck

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

const (
	composeFile   = "docker-compose.yml"
	scriptFile    = "scripts/keycloak.sh"
	realmFile     = "keycloak/demo-realm.json"
	exampleEnv    = "config.example.env"
	realmImageRef = "quay.io/keycloak/keycloak"
	importDir     = "/opt/keycloak/data/import"
	// The healthcheck asks for what the app needs: the realm's discovery
	// document at the app's OIDC_DISCOVERY_URL (keycloak:8080 over the
	// compose network), not a port on 127.0.0.1 inside Keycloak's container.
	healthProbe = "/dev/tcp/keycloak/8080"
	healthPath  = "/realms/demo/.well-known/openid-configuration"
)

// contractVars are the app's configuration variables (shared/CONTRACT.md).
var contractVars = []string{
	"LISTEN_ADDR", "BASE_URL", "OIDC_ISSUER", "OIDC_DISCOVERY_URL",
	"OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_SCOPES", "LOG_LEVEL",
}

// The e2e tests log in with these exact credentials.
type wantUser struct {
	password    string
	realmRoles  []string
	clientRoles []string // of the app's client
}

var wantUsers = map[string]wantUser{
	"alice": {"alice-password", []string{"default-roles-demo", "user", "admin"}, []string{"viewer", "editor"}},
	"bob":   {"bob-password", []string{"default-roles-demo", "user"}, []string{"viewer"}},
}

// problems collects every mismatch, so one run reports them all.
type problems []string

func (p *problems) addf(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func report(t *testing.T, ps problems) {
	t.Helper()
	for _, p := range ps {
		t.Error(p)
	}
}

// --- loading ---------------------------------------------------------------

// repoRoot is the app's repository: two levels up from e2e/deploycheck,
// where the app's go.mod is (e2e has a go.mod of its own).
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "docker-compose.yml")); err != nil {
		t.Fatalf("the repository root %s has no docker-compose.yml: run these tests from e2e/ (go test ./deploycheck/)", dir)
	}
	return dir
}

func loadProject(t *testing.T, root string) *types.Project {
	t.Helper()
	// No OS environment and no .env: the file alone must be complete, as on a
	// fresh clone (the repo's .env is the app's, not compose's).
	opts, err := cli.NewProjectOptions(
		[]string{filepath.Join(root, composeFile)},
		cli.WithWorkingDirectory(root),
		cli.WithEnv(nil),
	)
	if err != nil {
		t.Fatal(err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose-go cannot load %s: %v", composeFile, err)
	}
	return project
}

type scriptFacts struct {
	version          string // default KEYCLOAK_VERSION
	httpPort         string
	backchannelURL   string // default APP_BACKCHANNEL_LOGOUT_URL
	bootstrapsAdmin  bool
	wipesH2          bool
	importsRealmFile bool
}

func loadScript(t *testing.T, root string) scriptFacts {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, scriptFile))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	find := func(re string) string {
		m := regexp.MustCompile(re).FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("%s: no match for %s", scriptFile, re)
		}
		return m[1]
	}
	return scriptFacts{
		version:          find(`(?m)^KEYCLOAK_VERSION="\$\{KEYCLOAK_VERSION:-([0-9][0-9A-Za-z.\-]*)\}"$`),
		httpPort:         find(`(?m)^HTTP_PORT=([0-9]+)$`),
		backchannelURL:   find(`APP_BACKCHANNEL_LOGOUT_URL="\$\{APP_BACKCHANNEL_LOGOUT_URL:-([^}"]+)\}"`),
		bootstrapsAdmin:  strings.Contains(s, "KC_BOOTSTRAP_ADMIN_USERNAME=") && strings.Contains(s, "KC_BOOTSTRAP_ADMIN_PASSWORD="),
		wipesH2:          regexp.MustCompile(`rm -rf "\$KC_HOME/data/h2"`).MatchString(s),
		importsRealmFile: strings.Contains(s, "start-dev --import-realm"),
	}
}

// readEnvFile reads KEY=value lines; blank lines and # comments are skipped.
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s:%d: not KEY=value: %q", path, n, line)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		env[strings.TrimSpace(k)] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return env
}

// The subset of Keycloak's RealmRepresentation the demo relies on. Pointers
// tell "false" from "absent": Keycloak's defaults for absent fields are
// often the unsafe ones (publicClient, directAccessGrantsEnabled).
type realmRep struct {
	Realm   string `json:"realm"`
	Enabled *bool  `json:"enabled"`
	Roles   struct {
		Realm  []roleRep            `json:"realm"`
		Client map[string][]roleRep `json:"client"`
	} `json:"roles"`
	Clients []clientRep `json:"clients"`
	Users   []userRep   `json:"users"`
}

type roleRep struct {
	Name string `json:"name"`
}

type clientRep struct {
	ClientID                  string            `json:"clientId"`
	Enabled                   *bool             `json:"enabled"`
	PublicClient              *bool             `json:"publicClient"`
	Secret                    string            `json:"secret"`
	StandardFlowEnabled       *bool             `json:"standardFlowEnabled"`
	DirectAccessGrantsEnabled *bool             `json:"directAccessGrantsEnabled"`
	ImplicitFlowEnabled       *bool             `json:"implicitFlowEnabled"`
	ServiceAccountsEnabled    *bool             `json:"serviceAccountsEnabled"`
	FrontchannelLogout        *bool             `json:"frontchannelLogout"`
	RedirectURIs              []string          `json:"redirectUris"`
	WebOrigins                []string          `json:"webOrigins"`
	Attributes                map[string]string `json:"attributes"`
	ProtocolMappers           []mapperRep       `json:"protocolMappers"`
}

type mapperRep struct {
	Name           string            `json:"name"`
	Protocol       string            `json:"protocol"`
	ProtocolMapper string            `json:"protocolMapper"`
	Config         map[string]string `json:"config"`
}

type userRep struct {
	Username        string              `json:"username"`
	Enabled         *bool               `json:"enabled"`
	Email           string              `json:"email"`
	EmailVerified   *bool               `json:"emailVerified"`
	FirstName       string              `json:"firstName"`
	LastName        string              `json:"lastName"`
	RequiredActions *[]string           `json:"requiredActions"`
	Credentials     []credentialRep     `json:"credentials"`
	RealmRoles      []string            `json:"realmRoles"`
	ClientRoles     map[string][]string `json:"clientRoles"`
}

type credentialRep struct {
	Type      string `json:"type"`
	Value     string `json:"value"`
	Temporary *bool  `json:"temporary"`
}

func readRealm(t *testing.T, root string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, realmFile))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// --- compose checks --------------------------------------------------------

func composeProblems(p *types.Project, root string, script scriptFacts) problems {
	var ps problems
	kc, kcErr := p.GetService("keycloak")
	app, appErr := p.GetService("app")
	if kcErr != nil {
		ps.addf("service keycloak: %v", kcErr)
	}
	if appErr != nil {
		ps.addf("service app: %v", appErr)
	}
	if kcErr != nil || appErr != nil {
		return ps
	}

	// One Keycloak version for both ways of running the demo.
	if want := realmImageRef + ":" + script.version; kc.Image != want {
		ps.addf("keycloak image = %q, want %q (the default in %s)", kc.Image, want, scriptFile)
	}
	if !slices.Contains(kc.Command, "start-dev") || !slices.Contains(kc.Command, "--import-realm") {
		ps.addf("keycloak command = %q, want start-dev --import-realm", kc.Command)
	}

	if !publishes(kc, 8080) {
		ps.addf("keycloak does not publish port 8080 as 8080")
	}
	if !publishes(app, 3000) {
		ps.addf("app does not publish port 3000 as 3000")
	}

	// The realm file, read-only, in the directory --import-realm reads.
	wantSrc := filepath.Join(root, realmFile)
	mounted := false
	for _, v := range kc.Volumes {
		src := v.Source
		if !filepath.IsAbs(src) {
			src = filepath.Join(root, src)
		}
		if v.Type == types.VolumeTypeBind && filepath.Clean(src) == wantSrc {
			mounted = true
			if path.Dir(v.Target) != importDir || !strings.HasSuffix(v.Target, ".json") {
				ps.addf("realm mounted at %q, want a .json file in %s", v.Target, importDir)
			}
			if !v.ReadOnly {
				ps.addf("realm mount %q is not read-only", v.Target)
			}
		}
	}
	if !mounted {
		ps.addf("keycloak does not mount %s", realmFile)
	}

	kcEnv := envOf(kc)
	for _, k := range []string{"KC_BOOTSTRAP_ADMIN_USERNAME", "KC_BOOTSTRAP_ADMIN_PASSWORD"} {
		if kcEnv[k] == "" {
			ps.addf("keycloak: %s not set (no admin, no admin API for the tests)", k)
		}
	}
	// Keycloak must serve HTTP on the container's network interface, or
	// the app cannot reach it at keycloak:8080.
	if kcEnv["KC_HTTP_HOST"] != "0.0.0.0" {
		ps.addf("keycloak: KC_HTTP_HOST = %q, want 0.0.0.0 (reachable from the other containers, not only on its own localhost)", kcEnv["KC_HTTP_HOST"])
	}

	hc := kc.HealthCheck
	switch {
	case hc == nil || hc.Disable || len(hc.Test) == 0:
		ps.addf("keycloak has no healthcheck")
	default:
		cmd := strings.Join(hc.Test, " ")
		// The probe must go where the app goes: OIDC_DISCOVERY_URL's host
		// and port, and its discovery document.
		probe, path := healthProbe, healthPath
		if u, err := url.Parse(envOf(app)["OIDC_DISCOVERY_URL"]); err == nil && u.Host != "" {
			port := u.Port()
			if port == "" {
				port = "80"
			}
			probe = "/dev/tcp/" + u.Hostname() + "/" + port
			path = strings.TrimSuffix(u.Path, "/") + "/.well-known/openid-configuration"
		}
		for _, s := range []string{probe, "GET " + path + " ", "200"} {
			if !strings.Contains(cmd, s) {
				ps.addf("keycloak healthcheck does not contain %q (what the app uses: OIDC_DISCOVERY_URL over the compose network): %q", s, cmd)
			}
		}
		if strings.Contains(cmd, "127.0.0.1") || strings.Contains(cmd, "localhost") {
			ps.addf("keycloak healthcheck probes the container's own loopback: it passes even when the other containers cannot reach Keycloak: %q", cmd)
		}
		// A slow machine needs minutes for the first start.
		if budget := healthBudget(hc); budget < 5*time.Minute {
			ps.addf("keycloak healthcheck gives up after %v, want >= 5m on slow machines", budget)
		}
	}

	dep, ok := app.DependsOn["keycloak"]
	if !ok {
		ps.addf("app does not depend on keycloak")
	} else if dep.Condition != types.ServiceConditionHealthy {
		ps.addf("app depends on keycloak with condition %q, want %q", dep.Condition, types.ServiceConditionHealthy)
	}

	appEnv := envOf(app)
	for _, k := range contractVars {
		if v, ok := appEnv[k]; !ok || v == "" {
			ps.addf("app: %s is not set", k)
		}
	}

	// Addresses: the browser's view for what ends up in tokens and redirects,
	// the compose network for what the containers call.
	if kcHost := kcEnv["KC_HOSTNAME"]; kcHost == "" {
		ps.addf("keycloak: KC_HOSTNAME not set: tokens would carry the issuer the app container used")
	} else if want := strings.TrimSuffix(kcHost, "/") + "/realms/demo"; appEnv["OIDC_ISSUER"] != want {
		ps.addf("app OIDC_ISSUER = %q, want %q (KC_HOSTNAME + /realms/demo)", appEnv["OIDC_ISSUER"], want)
	}
	if kcEnv["KC_HOSTNAME_BACKCHANNEL_DYNAMIC"] != "true" {
		ps.addf("keycloak: KC_HOSTNAME_BACKCHANNEL_DYNAMIC must be true, or the app gets localhost:8080 endpoints it cannot reach")
	}
	if u := mustURL(&ps, "app OIDC_DISCOVERY_URL", appEnv["OIDC_DISCOVERY_URL"]); u != nil {
		if u.Hostname() != "keycloak" || u.Port() != "8080" || u.Path != "/realms/demo" {
			ps.addf("app OIDC_DISCOVERY_URL = %q, want http://keycloak:8080/realms/demo", u)
		}
	}
	if !strings.Contains(" "+appEnv["OIDC_SCOPES"]+" ", " openid ") {
		ps.addf("app OIDC_SCOPES = %q lacks openid", appEnv["OIDC_SCOPES"])
	}
	if _, port, err := net.SplitHostPort(appEnv["LISTEN_ADDR"]); err != nil || port != "3000" {
		ps.addf("app LISTEN_ADDR = %q, want port 3000 (the published one)", appEnv["LISTEN_ADDR"])
	}
	// Keycloak posts logout tokens to the app over the compose network.
	if got, want := kcEnv["APP_BACKCHANNEL_LOGOUT_URL"], "http://app:3000/backchannel-logout"; got != want {
		ps.addf("keycloak APP_BACKCHANNEL_LOGOUT_URL = %q, want %q", got, want)
	}
	return ps
}

func publishes(s types.ServiceConfig, port uint32) bool {
	for _, p := range s.Ports {
		if p.Target == port && p.Published == fmt.Sprint(port) {
			return true
		}
	}
	return false
}

func envOf(s types.ServiceConfig) map[string]string {
	env := map[string]string{}
	for k, v := range s.Environment {
		if v != nil {
			env[k] = *v
		}
	}
	return env
}

func healthBudget(hc *types.HealthCheckConfig) time.Duration {
	d := func(p *types.Duration, def time.Duration) time.Duration {
		if p == nil {
			return def
		}
		return time.Duration(*p)
	}
	retries := uint64(3) // Docker's defaults
	if hc.Retries != nil {
		retries = *hc.Retries
	}
	return d(hc.StartPeriod, 0) + time.Duration(retries)*d(hc.Interval, 30*time.Second)
}

func mustURL(ps *problems, what, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		ps.addf("%s = %q is not an absolute URL", what, s)
		return nil
	}
	return u
}

// --- realm checks ----------------------------------------------------------

// realmProblems compares the realm file with config.example.env (what a local
// run of the app sends to Keycloak) and with the script's back-channel URL.
func realmProblems(raw []byte, env map[string]string, script scriptFacts) problems {
	var ps problems
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		ps.addf("%s: %v", realmFile, err)
		return ps
	}
	// Keycloak creates these itself; listing them replaces its defaults.
	// (clientScopes is listed, with every built-in scope: scopes_test.go.)
	for _, k := range []string{"id", "requiredActions", "keycloakVersion", "components", "authenticationFlows"} {
		if _, ok := top[k]; ok {
			ps.addf("%s: remove top-level %q (Keycloak's defaults are wanted)", realmFile, k)
		}
	}
	ps = append(ps, clientScopeProblems(raw)...)
	var r realmRep
	if err := json.Unmarshal(raw, &r); err != nil {
		ps.addf("%s: %v", realmFile, err)
		return ps
	}

	issuer := env["OIDC_ISSUER"]
	if want := "/realms/" + r.Realm; r.Realm == "" || !strings.HasSuffix(issuer, want) {
		ps.addf("realm %q does not match OIDC_ISSUER=%s", r.Realm, issuer)
	}
	if u, err := url.Parse(issuer); err != nil || u.Port() != script.httpPort {
		ps.addf("OIDC_ISSUER=%s is not on the port %s starts Keycloak on (%s)", issuer, scriptFile, script.httpPort)
	}
	if !isTrue(r.Enabled) {
		ps.addf("realm %q is not enabled", r.Realm)
	}
	realmRoles := names(r.Roles.Realm)
	for _, want := range []string{"user", "admin"} {
		if !slices.Contains(realmRoles, want) {
			ps.addf("realm role %q is not defined", want)
		}
	}

	clientID := env["OIDC_CLIENT_ID"]
	var c *clientRep
	for i := range r.Clients {
		if r.Clients[i].ClientID == clientID {
			c = &r.Clients[i]
		}
	}
	if c == nil {
		ps.addf("no client %q (OIDC_CLIENT_ID) in %s", clientID, realmFile)
		return ps
	}
	base := strings.TrimSuffix(env["BASE_URL"], "/")
	if c.Enabled != nil && !*c.Enabled {
		ps.addf("client %s is disabled", clientID)
	}
	if c.PublicClient == nil || *c.PublicClient {
		ps.addf("client %s must say publicClient: false (absent means public)", clientID)
	}
	if c.Secret != env["OIDC_CLIENT_SECRET"] || c.Secret == "" {
		ps.addf("client secret %q != OIDC_CLIENT_SECRET %q", c.Secret, env["OIDC_CLIENT_SECRET"])
	}
	if !isTrue(c.StandardFlowEnabled) {
		ps.addf("client %s: standardFlowEnabled must be true", clientID)
	}
	for name, v := range map[string]*bool{
		"directAccessGrantsEnabled": c.DirectAccessGrantsEnabled, // default true: must be said
		"implicitFlowEnabled":       c.ImplicitFlowEnabled,
		"serviceAccountsEnabled":    c.ServiceAccountsEnabled,
		"frontchannelLogout":        c.FrontchannelLogout, // back-channel logout only without it
	} {
		if v == nil || *v {
			ps.addf("client %s: %s must be false, explicitly", clientID, name)
		}
	}
	if want := []string{base + "/callback", base + "/slow/callback"}; !slices.Equal(c.RedirectURIs, want) {
		ps.addf("client redirectUris = %q, want exactly %q (BASE_URL + /callback, and /slow/callback for the login in slow motion)", c.RedirectURIs, want)
	}
	if !slices.Equal(c.WebOrigins, []string{"+"}) {
		ps.addf("client webOrigins = %q, want [+]", c.WebOrigins)
	}
	attr := c.Attributes
	if attr["pkce.code.challenge.method"] != "S256" {
		ps.addf("client pkce.code.challenge.method = %q, want S256", attr["pkce.code.challenge.method"])
	}
	if got, want := attr["post.logout.redirect.uris"], base+"/"; got != want {
		ps.addf("client post.logout.redirect.uris = %q, want %q (BASE_URL + /)", got, want)
	}
	if attr["backchannel.logout.session.required"] != "true" {
		ps.addf("client backchannel.logout.session.required = %q, want true (sid in logout tokens)", attr["backchannel.logout.session.required"])
	}
	// ${APP_BACKCHANNEL_LOGOUT_URL[:default]}: Keycloak resolves it from its
	// environment at import, so compose and the script can differ.
	m := regexp.MustCompile(`^\$\{APP_BACKCHANNEL_LOGOUT_URL(?::([^}]*))?\}$`).FindStringSubmatch(attr["backchannel.logout.url"])
	if m == nil {
		ps.addf("client backchannel.logout.url = %q, want ${APP_BACKCHANNEL_LOGOUT_URL} or ${APP_BACKCHANNEL_LOGOUT_URL:default}", attr["backchannel.logout.url"])
	} else {
		want := base + "/backchannel-logout"
		if m[1] != "" && m[1] != want {
			ps.addf("backchannel.logout.url default = %q, want %q (BASE_URL + /backchannel-logout)", m[1], want)
		}
		if script.backchannelURL != want {
			ps.addf("%s sets APP_BACKCHANNEL_LOGOUT_URL to %q, want %q", scriptFile, script.backchannelURL, want)
		}
	}

	var mapper *mapperRep
	for i := range c.ProtocolMappers {
		if c.ProtocolMappers[i].ProtocolMapper == "oidc-usermodel-realm-role-mapper" {
			mapper = &c.ProtocolMappers[i]
		}
	}
	if mapper == nil {
		ps.addf("client %s has no oidc-usermodel-realm-role-mapper (realm roles in the ID token)", clientID)
	} else {
		if mapper.Protocol != "openid-connect" {
			ps.addf("roles mapper protocol = %q, want openid-connect", mapper.Protocol)
		}
		want := map[string]string{
			"claim.name": "roles", "multivalued": "true",
			"id.token.claim": "true", "access.token.claim": "true", "userinfo.token.claim": "true",
		}
		for k, v := range want {
			if mapper.Config[k] != v {
				ps.addf("roles mapper config %s = %q, want %q", k, mapper.Config[k], v)
			}
		}
	}

	clientRoles := names(r.Roles.Client[clientID])
	seen := map[string]bool{}
	for _, u := range r.Users {
		seen[u.Username] = true
		want, ok := wantUsers[u.Username]
		if !ok {
			continue
		}
		if !isTrue(u.Enabled) {
			ps.addf("user %s: enabled must be true (absent = disabled)", u.Username)
		}
		if u.FirstName == "" || u.LastName == "" || !strings.Contains(u.Email, "@") || !isTrue(u.EmailVerified) {
			ps.addf("user %s: incomplete profile (firstName, lastName, email, emailVerified): Keycloak would ask at first login", u.Username)
		}
		if u.RequiredActions == nil || len(*u.RequiredActions) != 0 {
			ps.addf("user %s: requiredActions must be []", u.Username)
		}
		var pw []credentialRep
		for _, cr := range u.Credentials {
			if cr.Type == "password" {
				pw = append(pw, cr)
			}
		}
		if len(pw) != 1 || pw[0].Value != want.password || pw[0].Temporary == nil || *pw[0].Temporary {
			ps.addf("user %s: want one non-temporary password %q", u.Username, want.password)
		}
		if !sameSet(u.RealmRoles, want.realmRoles) {
			ps.addf("user %s: realmRoles = %q, want %q", u.Username, u.RealmRoles, want.realmRoles)
		}
		if !sameSet(u.ClientRoles[clientID], want.clientRoles) {
			ps.addf("user %s: clientRoles[%s] = %q, want %q", u.Username, clientID, u.ClientRoles[clientID], want.clientRoles)
		}
		// Keycloak refuses the whole import for an undefined role.
		for _, role := range u.RealmRoles {
			if role != "default-roles-"+r.Realm && !slices.Contains(realmRoles, role) {
				ps.addf("user %s: realm role %q is not defined", u.Username, role)
			}
		}
		for _, role := range u.ClientRoles[clientID] {
			if !slices.Contains(clientRoles, role) {
				ps.addf("user %s: client role %q is not defined on %s", u.Username, role, clientID)
			}
		}
	}
	for name := range wantUsers {
		if !seen[name] {
			ps.addf("user %s is missing", name)
		}
	}
	return ps
}

func isTrue(b *bool) bool { return b != nil && *b }

func names(roles []roleRep) []string {
	var out []string
	for _, r := range roles {
		out = append(out, r.Name)
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// --- tests -----------------------------------------------------------------

func TestCompose(t *testing.T) {
	root := repoRoot(t)
	report(t, composeProblems(loadProject(t, root), root, loadScript(t, root)))
}

func TestScript(t *testing.T) {
	s := loadScript(t, repoRoot(t))
	if !s.bootstrapsAdmin {
		t.Errorf("%s does not set KC_BOOTSTRAP_ADMIN_USERNAME/PASSWORD", scriptFile)
	}
	if !s.wipesH2 {
		t.Errorf("%s does not wipe data/h2: a changed realm file would be silently skipped", scriptFile)
	}
	if !s.importsRealmFile {
		t.Errorf("%s does not run start-dev --import-realm", scriptFile)
	}
}

func TestRealmAgreesWithExampleEnv(t *testing.T) {
	root := repoRoot(t)
	env := readEnvFile(t, filepath.Join(root, exampleEnv))
	for _, k := range []string{"OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "BASE_URL", "OIDC_ISSUER"} {
		if env[k] == "" {
			t.Fatalf("%s: %s is empty or missing", exampleEnv, k)
		}
	}
	report(t, realmProblems(readRealm(t, root), env, loadScript(t, root)))
}

// The compose app and a local run (config.example.env) use the same client
// of the same realm, seen from the same browser URLs.
func TestComposeAgreesWithExampleEnv(t *testing.T) {
	root := repoRoot(t)
	env := readEnvFile(t, filepath.Join(root, exampleEnv))
	app, err := loadProject(t, root).GetService("app")
	if err != nil {
		t.Fatal(err)
	}
	appEnv := envOf(app)
	for _, k := range []string{"OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "BASE_URL", "OIDC_ISSUER"} {
		if appEnv[k] != env[k] {
			t.Errorf("%s: compose app has %q, %s has %q", k, appEnv[k], exampleEnv, env[k])
		}
	}
}

// Runs the compose healthcheck command itself against a fake Keycloak (the
// probe's keycloak:8080 replaced by a local port): it must pass on a 200 for
// the discovery document only.
func TestKeycloakHealthcheckCommand(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	kc, err := loadProject(t, repoRoot(t)).GetService("keycloak")
	if err != nil {
		t.Fatal(err)
	}
	if kc.HealthCheck == nil || len(kc.HealthCheck.Test) < 2 {
		t.Fatal("keycloak has no healthcheck")
	}
	var argv []string
	switch test := kc.HealthCheck.Test; test[0] {
	case "CMD":
		argv = slices.Clone(test[1:])
	case "CMD-SHELL":
		argv = []string{"bash", "-c", test[1]}
	default:
		t.Fatalf("healthcheck test %q: want CMD or CMD-SHELL", test)
	}
	if !strings.Contains(strings.Join(argv, " "), healthProbe) {
		t.Fatalf("healthcheck %q does not probe %s", argv, healthProbe)
	}
	run := func(port string) error {
		args := make([]string, len(argv))
		for i, a := range argv {
			args[i] = strings.ReplaceAll(a, healthProbe, "/dev/tcp/127.0.0.1/"+port)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var out bytes.Buffer
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if ctx.Err() != nil {
			t.Fatalf("healthcheck hung: %s", out.String())
		}
		return err
	}
	serve := func(status int) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != healthPath {
				http.NotFound(w, r)
				return
			}
			w.WriteHeader(status)
			fmt.Fprint(w, `{"issuer":"http://localhost:8080/realms/demo"}`)
		}))
		t.Cleanup(srv.Close)
		_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
		return port
	}
	if err := run(serve(http.StatusOK)); err != nil {
		t.Errorf("healthcheck fails against a ready Keycloak (200): %v", err)
	}
	if err := run(serve(http.StatusServiceUnavailable)); err == nil {
		t.Error("healthcheck passes against a Keycloak that is not ready (503)")
	}
	// A port nobody listens on: take one and close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, closed, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	if err := run(closed); err == nil {
		t.Error("healthcheck passes with nothing listening")
	}
}

// The checks above must catch real mistakes: each mutation of the files as
// they are has to produce a problem mentioning the given text.
func TestChecksCatchMistakes(t *testing.T) {
	root := repoRoot(t)
	env := readEnvFile(t, filepath.Join(root, exampleEnv))
	script := loadScript(t, root)
	raw := readRealm(t, root)

	realmCases := []struct {
		name, want string
		mutate     func(r map[string]any)
	}{
		{"secret differs", "OIDC_CLIENT_SECRET", func(r map[string]any) { client(r)["secret"] = "other" }},
		{"publicClient absent", "publicClient", func(r map[string]any) { delete(client(r), "publicClient") }},
		{"direct grants on", "directAccessGrantsEnabled", func(r map[string]any) { client(r)["directAccessGrantsEnabled"] = true }},
		{"frontchannel absent", "frontchannelLogout", func(r map[string]any) { delete(client(r), "frontchannelLogout") }},
		{"redirect wildcard", "redirectUris", func(r map[string]any) { client(r)["redirectUris"] = []any{"http://localhost:3000/*"} }},
		{"plain PKCE", "pkce", func(r map[string]any) { attrs(r)["pkce.code.challenge.method"] = "plain" }},
		{"post-logout", "post.logout", func(r map[string]any) { attrs(r)["post.logout.redirect.uris"] = "+" }},
		{"literal backchannel", "backchannel.logout.url", func(r map[string]any) {
			attrs(r)["backchannel.logout.url"] = "http://localhost:3000/backchannel-logout"
		}},
		{"backchannel default", "backchannel.logout.url default", func(r map[string]any) {
			attrs(r)["backchannel.logout.url"] = "${APP_BACKCHANNEL_LOGOUT_URL:http://localhost:3000/logout}"
		}},
		{"no sid", "session.required", func(r map[string]any) { delete(attrs(r), "backchannel.logout.session.required") }},
		{"mapper gone", "realm-role-mapper", func(r map[string]any) { client(r)["protocolMappers"] = []any{} }},
		{"mapper not in id token", "id.token.claim", func(r map[string]any) {
			client(r)["protocolMappers"].([]any)[0].(map[string]any)["config"].(map[string]any)["id.token.claim"] = "false"
		}},
		{"bob's password", "bob-password", func(r map[string]any) {
			user(r, "bob")["credentials"].([]any)[0].(map[string]any)["value"] = "secret"
		}},
		{"temporary password", "non-temporary", func(r map[string]any) {
			user(r, "alice")["credentials"].([]any)[0].(map[string]any)["temporary"] = true
		}},
		{"alice not admin", "realmRoles", func(r map[string]any) { user(r, "alice")["realmRoles"] = []any{"default-roles-demo", "user"} }},
		{"bob editor", "clientRoles", func(r map[string]any) {
			user(r, "bob")["clientRoles"] = map[string]any{"demo-app": []any{"viewer", "editor"}}
		}},
		{"no last name", "incomplete profile", func(r map[string]any) { delete(user(r, "alice"), "lastName") }},
		{"required actions", "requiredActions", func(r map[string]any) { user(r, "bob")["requiredActions"] = []any{"UPDATE_PASSWORD"} }},
		{"bob missing", "user bob is missing", func(r map[string]any) { r["users"] = r["users"].([]any)[:1] }},
		{"client scopes listed", "clientScopes", func(r map[string]any) { r["clientScopes"] = []any{} }},
		{"undefined role", "not defined", func(r map[string]any) { r["roles"].(map[string]any)["client"] = map[string]any{} }},
	}
	for _, tc := range realmCases {
		t.Run("realm/"+tc.name, func(t *testing.T) {
			var r map[string]any
			if err := json.Unmarshal(raw, &r); err != nil {
				t.Fatal(err)
			}
			tc.mutate(r)
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			expectProblem(t, realmProblems(b, env, script), tc.want)
		})
	}

	envCases := []struct{ name, key, value, want string }{
		{"other BASE_URL", "BASE_URL", "http://localhost:4000", "redirectUris"},
		{"other client id", "OIDC_CLIENT_ID", "other-app", "no client"},
		{"other realm", "OIDC_ISSUER", "http://localhost:8080/realms/other", "does not match OIDC_ISSUER"},
		{"other port", "OIDC_ISSUER", "http://localhost:8180/realms/demo", "port"},
	}
	for _, tc := range envCases {
		t.Run("env/"+tc.name, func(t *testing.T) {
			e := maps.Clone(env)
			e[tc.key] = tc.value
			expectProblem(t, realmProblems(raw, e, script), tc.want)
		})
	}

	t.Run("script/other version", func(t *testing.T) {
		s := script
		s.version = "26.0.0"
		expectProblem(t, composeProblems(loadProject(t, root), root, s), "keycloak image")
	})
	t.Run("script/other backchannel", func(t *testing.T) {
		s := script
		s.backchannelURL = "http://localhost:3000/logout"
		expectProblem(t, realmProblems(raw, env, s), "sets APP_BACKCHANNEL_LOGOUT_URL")
	})

	composeCases := []struct {
		name, want string
		mutate     func(p *types.Project)
	}{
		{"no service_healthy", "condition", func(p *types.Project) {
			app := p.Services["app"]
			app.DependsOn["keycloak"] = types.ServiceDependency{Condition: types.ServiceConditionStarted}
			p.Services["app"] = app
		}},
		{"secret unset", "OIDC_CLIENT_SECRET is not set", func(p *types.Project) {
			app := p.Services["app"]
			delete(app.Environment, "OIDC_CLIENT_SECRET")
			p.Services["app"] = app
		}},
		{"realm writable", "read-only", func(p *types.Project) {
			kc := p.Services["keycloak"]
			kc.Volumes[0].ReadOnly = false
			p.Services["keycloak"] = kc
		}},
		{"no healthcheck", "no healthcheck", func(p *types.Project) {
			kc := p.Services["keycloak"]
			kc.HealthCheck = nil
			p.Services["keycloak"] = kc
		}},
		// Issue 11, defect 4: healthy although unreachable for the app.
		{"health on the management port", "own loopback", func(p *types.Project) {
			kc := p.Services["keycloak"]
			kc.HealthCheck.Test = []string{"CMD", "bash", "-c", strings.NewReplacer(healthProbe, "/dev/tcp/127.0.0.1/9000", healthPath, "/health/ready").Replace(kc.HealthCheck.Test[3])}
			p.Services["keycloak"] = kc
		}},
		{"health at another realm", "GET " + healthPath, func(p *types.Project) {
			kc := p.Services["keycloak"]
			kc.HealthCheck.Test = []string{"CMD", "bash", "-c", strings.ReplaceAll(kc.HealthCheck.Test[3], healthPath, "/realms/master/.well-known/openid-configuration")}
			p.Services["keycloak"] = kc
		}},
		{"HTTP on localhost only", "KC_HTTP_HOST", func(p *types.Project) {
			kc := p.Services["keycloak"]
			delete(kc.Environment, "KC_HTTP_HOST")
			p.Services["keycloak"] = kc
		}},
		{"port moved", "8080", func(p *types.Project) {
			kc := p.Services["keycloak"]
			kc.Ports[0].Published = "18080"
			p.Services["keycloak"] = kc
		}},
		{"discovery via localhost", "OIDC_DISCOVERY_URL", func(p *types.Project) {
			app := p.Services["app"]
			v := "http://localhost:8080/realms/demo"
			app.Environment["OIDC_DISCOVERY_URL"] = &v
			p.Services["app"] = app
		}},
		{"app service gone", "service app", func(p *types.Project) { delete(p.Services, "app") }},
	}
	for _, tc := range composeCases {
		t.Run("compose/"+tc.name, func(t *testing.T) {
			p := loadProject(t, root) // fresh: the mutations share maps
			tc.mutate(p)
			expectProblem(t, composeProblems(p, root, script), tc.want)
		})
	}
}

func expectProblem(t *testing.T, ps problems, want string) {
	t.Helper()
	for _, p := range ps {
		if strings.Contains(p, want) {
			return
		}
	}
	t.Errorf("no problem mentioning %q; got %q", want, ps)
}

func client(r map[string]any) map[string]any {
	return r["clients"].([]any)[0].(map[string]any)
}

func attrs(r map[string]any) map[string]any {
	return client(r)["attributes"].(map[string]any)
}

func user(r map[string]any, name string) map[string]any {
	for _, u := range r["users"].([]any) {
		if u := u.(map[string]any); u["username"] == name {
			return u
		}
	}
	panic("no user " + name)
}
