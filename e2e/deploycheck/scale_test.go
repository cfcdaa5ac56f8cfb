package deploycheck

// The "scale" profile of docker-compose.yml: two replicas of the app (app-a,
// app-b) sharing their sessions in Redis, behind nginx (proxy) on port 3000.
// It is started with "docker compose up --build proxy" instead of the single
// app: these tests check that this starts what it should, that the replicas
// agree with the single app and with each other, and that the proxy's
// config file sends requests to both.

import (
	"context"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/authcode-demo/authcode-demo/internal/config"
)

const (
	scaleProfile = "scale"
	scaleEntry   = "proxy" // docker compose up --build proxy
	nginxConf    = "deploy/nginx.conf"
	nginxTarget  = "/etc/nginx/conf.d/default.conf"
	// The app's default SHUTDOWN_DRAIN, plus its 10 s for requests in flight.
	shutdownBudget = 2*time.Second + 10*time.Second
)

var (
	scaleServices = []string{"redis", "app-a", "app-b", "proxy"}
	replicas      = []string{"app-a", "app-b"}
	pinnedRedis   = regexp.MustCompile(`^redis:7\.[0-9]+\.[0-9]+(-[a-z0-9.]+)?$`)
	pinnedNginx   = regexp.MustCompile(`^nginx:[0-9]+\.[0-9]+\.[0-9]+(-[a-z0-9.]+)?$`)
)

func loadProjectWithProfiles(t *testing.T, root string, profiles ...string) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions(
		[]string{filepath.Join(root, composeFile)},
		cli.WithWorkingDirectory(root),
		cli.WithEnv(nil),
		cli.WithProfiles(profiles),
	)
	if err != nil {
		t.Fatal(err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose-go cannot load %s with profiles %q: %v", composeFile, profiles, err)
	}
	return project
}

// upProxy is what "docker compose up proxy" starts: the proxy (its profile
// enabled because it is named) and everything it depends on.
func upProxy(p *types.Project) (*types.Project, error) {
	enabled, err := p.WithServicesEnabled(scaleEntry)
	if err != nil {
		return nil, err
	}
	return enabled.WithSelectedServices([]string{scaleEntry}, types.IncludeDependencies)
}

func readNginxConf(t *testing.T, root string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, nginxConf))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// scaleProblems checks the project loaded without profiles (plain
// "docker compose up") and the one "docker compose up proxy" starts.
func scaleProblems(plain, started *types.Project, conf string) problems {
	var ps problems
	for _, name := range scaleServices {
		if _, err := plain.GetService(name); err == nil {
			ps.addf("service %s runs on a plain docker compose up: give it profiles: [%s]", name, scaleProfile)
		}
	}
	names := slices.Sorted(maps.Keys(started.Services))
	// The demo API too (issue 11, defect 2): without it the /api page
	// behind the proxy answers 502.
	if want := []string{"api", "app-a", "app-b", "keycloak", "proxy", "redis"}; !slices.Equal(names, want) {
		ps.addf("docker compose up %s starts %q, want %q (the API for the /api page; not the single app: both want port 3000)", scaleEntry, names, want)
	}
	var on3000 []string
	for name, s := range started.Services {
		if publishes(s, 3000) {
			on3000 = append(on3000, name)
		}
	}
	if !slices.Equal(on3000, []string{scaleEntry}) {
		ps.addf("in the scale profile, port 3000 is published by %q, want the proxy only (BASE_URL is http://localhost:3000)", on3000)
	}

	svc := func(name string) (types.ServiceConfig, bool) {
		s, err := started.GetService(name)
		if err != nil {
			ps.addf("service %s: %v", name, err)
			return s, false
		}
		if !slices.Contains(s.Profiles, scaleProfile) {
			ps.addf("service %s: profiles = %q, want [%s]", name, s.Profiles, scaleProfile)
		}
		return s, true
	}

	// Redis: a pinned 7.x image (the Index uses PEXPIREAT NX/GT, Redis 7.0),
	// a healthcheck the replicas wait for, and data that survives a restart.
	redisStore := ""
	if redis, ok := svc("redis"); ok {
		if !pinnedRedis.MatchString(redis.Image) {
			ps.addf("redis image = %q, want a pinned redis:7.x.y tag", redis.Image)
		}
		if redis.HealthCheck == nil || len(redis.HealthCheck.Test) == 0 || !strings.Contains(strings.Join(redis.HealthCheck.Test, " "), "ping") {
			ps.addf("redis has no healthcheck with redis-cli ping")
		}
		persisted := false
		for _, v := range redis.Volumes {
			persisted = persisted || v.Target == "/data"
		}
		if !persisted {
			ps.addf("redis keeps no volume at /data: a restart of Redis would log everyone out")
		}
		redisStore = "redis://redis:" + redisPort(redis) + "/0"
	}

	// The replicas: the single app's settings, one Redis, no port of their own.
	single, _ := plain.GetService("app")
	stores := map[string]bool{}
	for _, name := range replicas {
		r, ok := svc(name)
		if !ok {
			continue
		}
		env := envOf(r)
		store := env["SESSION_STORE"]
		stores[store] = true
		if u, err := url.Parse(store); err != nil || u.Scheme != "redis" || u.Hostname() != "redis" {
			ps.addf("%s: SESSION_STORE = %q, want the redis service (%s)", name, store, redisStore)
		} else if store != redisStore {
			ps.addf("%s: SESSION_STORE = %q, want %q (the redis service's port)", name, store, redisStore)
		}
		// The replica's environment must be a configuration the app accepts.
		if _, err := config.Load(func(k string) string { return env[k] }, nil); err != nil {
			ps.addf("%s: the app would refuse its environment: %v", name, err)
		}
		for _, k := range contractVars {
			if env[k] != envOf(single)[k] {
				ps.addf("%s: %s = %q, the single app has %q (same client, same URLs)", name, k, env[k], envOf(single)[k])
			}
		}
		if len(r.Ports) > 0 {
			ps.addf("%s publishes ports %v: replicas are reached through the proxy only", name, r.Ports)
		}
		for dep, cond := range map[string]string{
			"redis": types.ServiceConditionHealthy, "keycloak": types.ServiceConditionHealthy,
			"api": types.ServiceConditionStarted, // the /api page
		} {
			if d, ok := r.DependsOn[dep]; !ok || d.Condition != cond {
				ps.addf("%s must depend on %s with condition %s", name, dep, cond)
			}
		}
		if r.StopGracePeriod == nil || time.Duration(*r.StopGracePeriod) < shutdownBudget {
			ps.addf("%s: stop_grace_period must be >= %v (drain + in-flight requests), or docker kills it mid-request", name, shutdownBudget)
		}
	}
	if len(stores) > 1 {
		ps.addf("the replicas use different SESSION_STOREs %q: they must share the same Redis", slices.Sorted(maps.Keys(stores)))
	}

	// The proxy: pinned nginx on 3000, in front of both replicas, reachable
	// by Keycloak under the single app's name for back-channel logout.
	if proxy, ok := svc("proxy"); ok {
		if !pinnedNginx.MatchString(proxy.Image) {
			ps.addf("proxy image = %q, want a pinned nginx:x.y.z tag", proxy.Image)
		}
		if !publishes(proxy, 3000) {
			ps.addf("proxy does not publish 3000:3000")
		}
		for _, r := range replicas {
			if _, ok := proxy.DependsOn[r]; !ok {
				ps.addf("proxy does not depend on %s", r)
			}
		}
		if _, ok := proxy.DependsOn["app"]; ok {
			ps.addf("proxy depends on app: docker compose up proxy would start the single app too")
		}
		aliased := false
		for _, n := range proxy.Networks {
			aliased = aliased || (n != nil && slices.Contains(n.Aliases, "app"))
		}
		if !aliased {
			ps.addf("proxy has no network alias app: Keycloak's back-channel logouts (http://app:3000) would reach nobody")
		}
		mounted := false
		for _, v := range proxy.Volumes {
			if v.Target == nginxTarget {
				mounted = true
				if !v.ReadOnly || !strings.HasSuffix(filepath.ToSlash(v.Source), nginxConf) {
					ps.addf("proxy mounts %s at %s; want %s, read-only", v.Source, nginxTarget, nginxConf)
				}
			}
		}
		if !mounted {
			ps.addf("proxy does not mount %s at %s", nginxConf, nginxTarget)
		}
	}

	// The nginx config itself.
	if !regexp.MustCompile(`(?m)^\s*listen\s+3000\s*;`).MatchString(conf) {
		ps.addf("%s does not listen on 3000", nginxConf)
	}
	ps = append(ps, nginxResolveProblems(started, conf)...)
	// http.CrossOriginProtection compares Origin with Host.
	if !regexp.MustCompile(`proxy_set_header\s+Host\s+\$http_host\s*;`).MatchString(conf) {
		ps.addf("%s does not pass the browser's Host (proxy_set_header Host $http_host): POST /logout would be refused as cross-origin", nginxConf)
	}
	return ps
}

// nginxResolveProblems checks that nginx finds the replicas by asking
// Docker's DNS at request time (issue 11, defect 5). An upstream block with
// "server app-a:3000;" is resolved once, when nginx starts: after
// "docker compose up --force-recreate app-a" the replica may have another
// address, and nginx would keep sending requests to the old one. The
// stand-in nginx is 1.22 (no "resolve" in upstream blocks before 1.27.3), so
// the config uses a variable in proxy_pass and a network alias that every
// replica carries: one name, every replica's address.
func nginxResolveProblems(started *types.Project, conf string) problems {
	var ps problems
	if !regexp.MustCompile(`(?m)^\s*resolver\s+127\.0\.0\.11\b[^;]*\bvalid=\d+s\b[^;]*;`).MatchString(conf) {
		ps.addf("%s has no \"resolver 127.0.0.11 valid=...;\" (Docker's DNS, answers cached briefly): nginx would resolve the replicas only at start", nginxConf)
	}
	if m := regexp.MustCompile(`(?m)^\s*server\s+([a-z0-9.-]+:\d+)[^;]*;`).FindAllStringSubmatch(conf, -1); m != nil {
		for _, s := range m {
			if !strings.Contains(s[0], " resolve") {
				ps.addf("%s: upstream server %s without resolve is resolved once, when nginx starts: a recreated replica's new address is never seen", nginxConf, s[1])
			}
		}
	}
	pass := regexp.MustCompile(`(?m)^\s*proxy_pass\s+http://\$([a-z_]+):(\d+)\s*;`).FindStringSubmatch(conf)
	if pass == nil {
		ps.addf("%s: want proxy_pass http://$variable:port; (a variable, so that nginx resolves the name at request time)", nginxConf)
		return ps
	}
	set := regexp.MustCompile(`(?m)^\s*set\s+\$` + pass[1] + `\s+([a-z0-9.-]+)\s*;`).FindStringSubmatch(conf)
	if set == nil {
		ps.addf("%s: proxy_pass uses $%s, but no \"set $%s NAME;\"", nginxConf, pass[1], pass[1])
		return ps
	}
	name, port := set[1], pass[2]
	// Every replica answers to the name, and nothing else does.
	for svcName, s := range started.Services {
		aliased := false
		for _, n := range s.Networks {
			aliased = aliased || (n != nil && slices.Contains(n.Aliases, name))
		}
		isReplica := slices.Contains(replicas, svcName)
		switch {
		case isReplica && !aliased:
			ps.addf("%s has no network alias %s: nginx (%s) would never send it a request", svcName, name, nginxConf)
		case !isReplica && (aliased || svcName == name):
			ps.addf("service %s answers to %s too: nginx would send it the replicas' requests", svcName, name)
		}
		if isReplica {
			if _, p, err := net.SplitHostPort(envOf(s)["LISTEN_ADDR"]); err == nil && p != port {
				ps.addf("%s: proxy_pass port %s, but %s listens on %s", nginxConf, port, svcName, p)
			}
		}
	}
	return ps
}

// redisPort is the port redis-server listens on in the container.
func redisPort(s types.ServiceConfig) string {
	if i := slices.Index(s.Command, "--port"); i >= 0 && i+1 < len(s.Command) {
		return s.Command[i+1]
	}
	return "6379"
}

func TestComposeScaleProfile(t *testing.T) {
	root := repoRoot(t)
	plain := loadProject(t, root)
	started, err := upProxy(plain)
	if err != nil {
		t.Fatalf("docker compose up %s: %v", scaleEntry, err)
	}
	report(t, scaleProblems(plain, started, readNginxConf(t, root)))

	// "--profile scale up proxy" starts the same.
	withProfile, err := upProxy(loadProjectWithProfiles(t, root, scaleProfile))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := slices.Sorted(maps.Keys(started.Services)), slices.Sorted(maps.Keys(withProfile.Services)); !slices.Equal(a, b) {
		t.Errorf("up proxy starts %q, --profile scale up proxy starts %q", a, b)
	}
}

// staticUpstream is deploy/nginx.conf as it was before issue 11: an upstream
// block naming both replicas, resolved once when nginx starts.
func staticUpstream(conf string) string {
	conf = regexp.MustCompile(`(?m)^\s*(resolver|resolver_timeout|set)\s[^\n]*\n`).ReplaceAllString(conf, "")
	conf = regexp.MustCompile(`proxy_pass http://\$[a-z_]+:3000;`).ReplaceAllString(conf, "proxy_pass http://app_replicas;")
	return "upstream app_replicas {\n    server app-a:3000;\n    server app-b:3000;\n}\n" + conf
}

func upProxyOf(t *testing.T, root string) *types.Project {
	t.Helper()
	started, err := upProxy(loadProject(t, root))
	if err != nil {
		t.Fatal(err)
	}
	return started
}

// Each mistake must be caught.
func TestScaleChecksCatchMistakes(t *testing.T) {
	root := repoRoot(t)
	conf := readNginxConf(t, root)
	setEnv := func(s *types.ServiceConfig, k, v string) {
		s.Environment = maps.Clone(s.Environment)
		s.Environment[k] = &v
	}
	cases := []struct {
		name, want string
		mutate     func(p *types.Project)
		conf       string
	}{
		{"replica in memory", "SESSION_STORE", func(p *types.Project) {
			s := p.Services["app-b"]
			setEnv(&s, "SESSION_STORE", "memory")
			p.Services["app-b"] = s
		}, conf},
		{"replicas on different Redis databases", "same Redis", func(p *types.Project) {
			s := p.Services["app-b"]
			setEnv(&s, "SESSION_STORE", "redis://redis:6379/1")
			p.Services["app-b"] = s
		}, conf},
		{"replica with another client", "OIDC_CLIENT_ID", func(p *types.Project) {
			s := p.Services["app-a"]
			setEnv(&s, "OIDC_CLIENT_ID", "other")
			p.Services["app-a"] = s
		}, conf},
		{"replica publishes a port", "publishes ports", func(p *types.Project) {
			s := p.Services["app-a"]
			s.Ports = []types.ServicePortConfig{{Target: 3000, Published: "3001"}}
			p.Services["app-a"] = s
		}, conf},
		{"replica without grace", "stop_grace_period", func(p *types.Project) {
			s := p.Services["app-b"]
			s.StopGracePeriod = nil
			p.Services["app-b"] = s
		}, conf},
		{"redis unpinned", "pinned redis", func(p *types.Project) {
			s := p.Services["redis"]
			s.Image = "redis:latest"
			p.Services["redis"] = s
		}, conf},
		{"nginx unpinned", "pinned nginx", func(p *types.Project) {
			s := p.Services["proxy"]
			s.Image = "nginx:alpine"
			p.Services["proxy"] = s
		}, conf},
		{"proxy without alias", "alias app", func(p *types.Project) {
			s := p.Services["proxy"]
			s.Networks = map[string]*types.ServiceNetworkConfig{"default": nil}
			p.Services["proxy"] = s
		}, conf},
		{"proxy without app-b", "depend on app-b", func(p *types.Project) {
			s := p.Services["proxy"]
			delete(s.DependsOn, "app-b")
			p.Services["proxy"] = s
		}, conf},
		// Issue 11, defect 2: the scale profile without the demo API.
		{"replicas without the API", "want [\"api\"", func(p *types.Project) {
			delete(p.Services, "api")
			for _, r := range replicas {
				s := p.Services[r]
				delete(s.DependsOn, "api")
				p.Services[r] = s
			}
		}, conf},
		{"replica does not wait for the API", "app-a must depend on api", func(p *types.Project) {
			s := p.Services["app-a"]
			delete(s.DependsOn, "api")
			p.Services["app-a"] = s
		}, conf},
		// Issue 11, defect 5: nginx must re-resolve the replicas.
		{"nginx upstream resolved at start", "resolved once", nil, staticUpstream(conf)},
		{"nginx without Docker's resolver", "resolver 127.0.0.11", nil, regexp.MustCompile(`(?m)^\s*resolver\s[^\n]*\n`).ReplaceAllString(conf, "")},
		{"nginx resolver caches forever", "resolver 127.0.0.11", nil, strings.Replace(conf, "valid=10s", "", 1)},
		{"nginx proxy_pass to a fixed name", "proxy_pass http://$variable", nil, regexp.MustCompile(`proxy_pass http://\$[a-z_]+:`).ReplaceAllString(conf, "proxy_pass http://app-a:")},
		{"nginx to another port", "proxy_pass port", nil, regexp.MustCompile(`(proxy_pass http://\$[a-z_]+:)3000`).ReplaceAllString(conf, "${1}8000")},
		{"app-b without the alias", "app-b has no network alias", func(p *types.Project) {
			s := p.Services["app-b"]
			s.Networks = map[string]*types.ServiceNetworkConfig{"default": nil}
			p.Services["app-b"] = s
		}, conf},
		{"redis with the replicas' alias", "service redis answers", func(p *types.Project) {
			s := p.Services["redis"]
			s.Networks = map[string]*types.ServiceNetworkConfig{"default": {Aliases: []string{"app-replicas"}}}
			p.Services["redis"] = s
		}, conf},
		{"nginx drops Host", "Host", nil, strings.ReplaceAll(conf, "$http_host", "$host")},
		{"nginx on 80", "listen on 3000", nil, strings.ReplaceAll(conf, "listen 3000", "listen 80")},
	}
	if len(nginxResolveProblems(upProxyOf(t, root), conf)) > 0 {
		t.Fatal("the mutations need a config without problems to start from")
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plain := loadProject(t, root)
			started, err := upProxy(plain)
			if err != nil {
				t.Fatal(err)
			}
			if tc.mutate != nil {
				tc.mutate(started)
			}
			expectProblem(t, scaleProblems(plain, started, tc.conf), tc.want)
		})
	}

	t.Run("scale service without profile", func(t *testing.T) {
		plain := loadProject(t, root)
		started, err := upProxy(plain)
		if err != nil {
			t.Fatal(err)
		}
		redis := started.Services["redis"]
		redis.Profiles = nil
		plain.Services["redis"] = redis
		expectProblem(t, scaleProblems(plain, started, conf), "plain docker compose up")
	})
	t.Run("proxy starts the single app", func(t *testing.T) {
		plain := loadProject(t, root)
		proxy := plain.DisabledServices["proxy"]
		proxy.DependsOn = types.DependsOnConfig{"app": {Condition: types.ServiceConditionStarted, Required: true}}
		plain.DisabledServices["proxy"] = proxy
		started, err := upProxy(plain)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, scaleProblems(plain, started, conf), "not the single app")
	})
}
