package deploycheck

// The "lab" profile of docker-compose.yml: the seed app (cmd/seed), the
// seed Flask example as it was, DELIBERATELY INSECURE, the attack lab's
// target. It must stay out of a plain "docker compose up", be reachable
// from this computer only, and agree with its realm client demo-seed,
// whose missing PKCE requirement the lab's attacks rely on.

import (
	"encoding/json"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

const (
	labProfile   = "lab"
	seedService  = "seed"
	seedClientID = "demo-seed"
	seedPort     = 3004
)

// isLoopbackHost is the seed's own rule (cmd/seed requireLoopback).
func isLoopbackHost(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// labProblems checks the project without profiles (plain "docker compose
// up"), the one with the lab profile, the realm file, the Dockerfile,
// scripts/demo.sh and docs/docker.md.
func labProblems(plain, lab *types.Project, realmRaw []byte, dockerfileText, demo, doc string) problems {
	var ps problems
	if _, err := plain.GetService(seedService); err == nil {
		ps.addf("service %s runs on a plain docker compose up: give it profiles: [%s]", seedService, labProfile)
	}
	seed, err := lab.GetService(seedService)
	if err != nil {
		ps.addf("service %s (profile %s): %v", seedService, labProfile, err)
		return ps
	}
	app, err := lab.GetService("app")
	if err != nil {
		ps.addf("service app: %v", err)
		return ps
	}
	if !slices.Equal(seed.Profiles, []string{labProfile}) {
		ps.addf("service %s: profiles = %q, want [%s]", seedService, seed.Profiles, labProfile)
	}

	// The app's image, entrypoint /seed.
	if !slices.Equal([]string(seed.Entrypoint), []string{"/seed"}) {
		ps.addf("%s: entrypoint = %q, want [/seed]", seedService, seed.Entrypoint)
	}
	if seed.Build == nil || app.Build == nil || seed.Build.Context != app.Build.Context || seed.Build.Dockerfile != app.Build.Dockerfile {
		ps.addf("%s is not built from the app's Dockerfile", seedService)
	}
	if !regexp.MustCompile(`go build[^\n]*-o /out/seed \./cmd/seed`).MatchString(dockerfileText) ||
		!strings.Contains(dockerfileText, "COPY --from=build /out/seed /seed") {
		ps.addf("%s does not build ./cmd/seed into /seed", dockerfile)
	}

	// Reachable from this computer only.
	if len(seed.Ports) != 1 {
		ps.addf("%s publishes %d ports, want one (%d)", seedService, len(seed.Ports), seedPort)
	}
	for _, p := range seed.Ports {
		if p.Target != seedPort || p.Published != "3004" || !isLoopbackHost(p.HostIP) {
			ps.addf("%s publishes %s:%s:%d, want 127.0.0.1:3004:3004 (the host's loopback only: it is deliberately insecure)", seedService, p.HostIP, p.Published, p.Target)
		}
	}
	env := envOf(seed)
	if u := mustURL(&ps, seedService+" BASE_URL", env["BASE_URL"]); u != nil && (!isLoopbackHost(u.Hostname()) || u.Port() != "3004") {
		ps.addf("%s: BASE_URL = %q, want a loopback address on port 3004 (the seed refuses anything else)", seedService, env["BASE_URL"])
	}
	if _, port, err := net.SplitHostPort(env["LISTEN_ADDR"]); err != nil || port != "3004" {
		ps.addf("%s: LISTEN_ADDR = %q, want port 3004 (the published one; the image's default is the app's :3000)", seedService, env["LISTEN_ADDR"])
	}

	// The app's issuer, seen the same way, and its own client.
	appEnv := envOf(app)
	for _, k := range []string{"OIDC_ISSUER", "OIDC_DISCOVERY_URL"} {
		if env[k] != appEnv[k] {
			ps.addf("%s: %s = %q, the app has %q (the same realm, seen the same way)", seedService, k, env[k], appEnv[k])
		}
	}
	if env["OIDC_CLIENT_ID"] != seedClientID {
		ps.addf("%s: OIDC_CLIENT_ID = %q, want %s", seedService, env["OIDC_CLIENT_ID"], seedClientID)
	}
	if d, ok := seed.DependsOn["keycloak"]; !ok || d.Condition != types.ServiceConditionHealthy {
		ps.addf("%s must depend on keycloak with condition %s (it reads discovery once, at start)", seedService, types.ServiceConditionHealthy)
	}

	// The realm's client: confidential, standard flow only, PKCE NOT
	// required (the lab's code injection lands because of it).
	var r realmRep
	if err := json.Unmarshal(realmRaw, &r); err != nil {
		ps.addf("%s: %v", realmFile, err)
		return ps
	}
	c := clientByID(r, seedClientID)
	if c == nil {
		ps.addf("no client %s in %s", seedClientID, realmFile)
		return ps
	}
	if c.PublicClient == nil || *c.PublicClient {
		ps.addf("client %s must say publicClient: false (absent means public)", seedClientID)
	}
	if c.Secret == "" || c.Secret != env["OIDC_CLIENT_SECRET"] {
		ps.addf("client %s secret %q, the %s service sends %q", seedClientID, c.Secret, seedService, env["OIDC_CLIENT_SECRET"])
	}
	if !isTrue(c.StandardFlowEnabled) {
		ps.addf("client %s: standardFlowEnabled must be true", seedClientID)
	}
	for name, v := range map[string]*bool{
		"directAccessGrantsEnabled": c.DirectAccessGrantsEnabled, // default true: must be said
		"implicitFlowEnabled":       c.ImplicitFlowEnabled,
		"serviceAccountsEnabled":    c.ServiceAccountsEnabled,
	} {
		if v == nil || *v {
			ps.addf("client %s: %s must be false, explicitly", seedClientID, name)
		}
	}
	if want := []string{strings.TrimSuffix(env["BASE_URL"], "/") + "/callback"}; !slices.Equal(c.RedirectURIs, want) {
		ps.addf("client %s redirectUris = %q, want exactly %q (the seed's BASE_URL + /callback)", seedClientID, c.RedirectURIs, want)
	}
	if m := c.Attributes["pkce.code.challenge.method"]; m != "" {
		ps.addf("client %s requires PKCE (%s): the seed sends no code_challenge, and the lab shows what that allows", seedClientID, m)
	}

	// Without Docker, and in the docs.
	for _, want := range []string{"./cmd/seed", "OIDC_CLIENT_ID=" + seedClientID, "BASE_URL=http://localhost:3004", "OIDC_CLIENT_SECRET=" + c.Secret} {
		if !strings.Contains(demo, want) {
			ps.addf("%s does not contain %q", demoScript, want)
		}
	}
	for _, want := range []string{"docker compose --profile lab up", "docker compose --profile lab down", "deliberately insecure"} {
		if !strings.Contains(doc, want) {
			ps.addf("%s does not mention %q", dockerDoc, want)
		}
	}
	return ps
}

func TestComposeLabProfile(t *testing.T) {
	root := repoRoot(t)
	report(t, labProblems(loadProject(t, root), loadProjectWithProfiles(t, root, labProfile), readRealm(t, root),
		readText(t, root, dockerfile), readText(t, root, demoScript), readText(t, root, dockerDoc)))
}

// Each mistake must be caught.
func TestLabChecksCatchMistakes(t *testing.T) {
	root := repoRoot(t)
	raw := readRealm(t, root)
	df, demo, doc := readText(t, root, dockerfile), readText(t, root, demoScript), readText(t, root, dockerDoc)
	seedClient := func(r map[string]any) map[string]any {
		for _, c := range r["clients"].([]any) {
			if c := c.(map[string]any); c["clientId"] == seedClientID {
				return c
			}
		}
		panic("no client " + seedClientID)
	}
	setEnv := func(p *types.Project, k, v string) {
		s := p.Services[seedService]
		s.Environment[k] = &v
		p.Services[seedService] = s
	}
	cases := []struct {
		name, want string
		project    func(p *types.Project)
		realm      func(r map[string]any)
		dockerfile string
	}{
		{"published on every interface", "loopback only", func(p *types.Project) {
			s := p.Services[seedService]
			s.Ports[0].HostIP = ""
			p.Services[seedService] = s
		}, nil, df},
		{"another port", "want 127.0.0.1:3004:3004", func(p *types.Project) {
			s := p.Services[seedService]
			s.Ports[0].Published = "3005"
			p.Services[seedService] = s
		}, nil, df},
		{"BASE_URL on the network", "want a loopback address", func(p *types.Project) { setEnv(p, "BASE_URL", "http://192.168.1.10:3004") }, nil, df},
		{"LISTEN_ADDR from the image", "LISTEN_ADDR", func(p *types.Project) {
			s := p.Services[seedService]
			delete(s.Environment, "LISTEN_ADDR")
			p.Services[seedService] = s
		}, nil, df},
		{"discovery via localhost", "OIDC_DISCOVERY_URL", func(p *types.Project) { setEnv(p, "OIDC_DISCOVERY_URL", "http://localhost:8080/realms/demo") }, nil, df},
		{"the app's client", "OIDC_CLIENT_ID", func(p *types.Project) { setEnv(p, "OIDC_CLIENT_ID", "demo-app") }, nil, df},
		{"another secret", "secret", func(p *types.Project) { setEnv(p, "OIDC_CLIENT_SECRET", "other") }, nil, df},
		{"app entrypoint", "entrypoint", func(p *types.Project) {
			s := p.Services[seedService]
			s.Entrypoint = nil
			p.Services[seedService] = s
		}, nil, df},
		{"no healthy Keycloak", "depend on keycloak", func(p *types.Project) {
			s := p.Services[seedService]
			s.DependsOn = nil
			p.Services[seedService] = s
		}, nil, df},
		{"Dockerfile without the seed", "does not build ./cmd/seed", nil, nil, strings.ReplaceAll(df, "./cmd/seed", "./cmd/other")},
		{"client requires PKCE", "requires PKCE", nil, func(r map[string]any) {
			seedClient(r)["attributes"] = map[string]any{"pkce.code.challenge.method": "S256"}
		}, df},
		{"client public", "publicClient", nil, func(r map[string]any) { delete(seedClient(r), "publicClient") }, df},
		{"direct grants on", "directAccessGrantsEnabled", nil, func(r map[string]any) { seedClient(r)["directAccessGrantsEnabled"] = true }, df},
		{"redirect wildcard", "redirectUris", nil, func(r map[string]any) { seedClient(r)["redirectUris"] = []any{"http://localhost:3004/*"} }, df},
		{"client gone", "no client demo-seed", nil, func(r map[string]any) {
			var kept []any
			for _, c := range r["clients"].([]any) {
				if c.(map[string]any)["clientId"] != seedClientID {
					kept = append(kept, c)
				}
			}
			r["clients"] = kept
		}, df},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lab := loadProjectWithProfiles(t, root, labProfile) // fresh: the mutations share maps
			if tc.project != nil {
				tc.project(lab)
			}
			realm := raw
			if tc.realm != nil {
				var r map[string]any
				if err := json.Unmarshal(raw, &r); err != nil {
					t.Fatal(err)
				}
				tc.realm(r)
				b, err := json.Marshal(r)
				if err != nil {
					t.Fatal(err)
				}
				realm = b
			}
			expectProblem(t, labProblems(loadProject(t, root), lab, realm, tc.dockerfile, demo, doc), tc.want)
		})
	}

	t.Run("seed without its profile", func(t *testing.T) {
		plain, lab := loadProject(t, root), loadProjectWithProfiles(t, root, labProfile)
		s := lab.Services[seedService]
		s.Profiles = nil
		plain.Services[seedService] = s
		expectProblem(t, labProblems(plain, lab, raw, df, demo, doc), "plain docker compose up")
	})
	t.Run("demo.sh without the seed", func(t *testing.T) {
		expectProblem(t, labProblems(loadProject(t, root), loadProjectWithProfiles(t, root, labProfile), raw, df,
			strings.ReplaceAll(demo, "./cmd/seed", "./cmd/x"), doc), "./cmd/seed")
	})
	t.Run("docs without the way out", func(t *testing.T) {
		expectProblem(t, labProblems(loadProject(t, root), loadProjectWithProfiles(t, root, labProfile), raw, df, demo,
			strings.ReplaceAll(doc, "docker compose --profile lab down", "docker compose down")), "--profile lab down")
	})
}
