package config

import (
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// env returns a getenv for the given variables.
func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := Load(env(map[string]string{"OIDC_CLIENT_SECRET": "s3cret"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"ListenAddr", cfg.ListenAddr, ":3000"},
		{"BaseURL", cfg.BaseURL.String(), "http://localhost:3000"},
		{"Issuer", cfg.Issuer, "http://localhost:8080/realms/demo"},
		{"DiscoveryURL", cfg.DiscoveryURL, "http://localhost:8080/realms/demo"},
		{"ClientID", cfg.ClientID, "demo-app"},
		{"ClientSecret", cfg.ClientSecret, "s3cret"},
		{"Scopes", strings.Join(cfg.Scopes, " "), "openid profile email"},
		{"LogLevel", cfg.LogLevel, slog.LevelInfo},
		{"SessionIdle", cfg.SessionIdle, 30 * time.Minute},
		{"SessionLifetime", cfg.SessionLifetime, 8 * time.Hour},
		{"ProviderTimeout", cfg.ProviderTimeout, 10 * time.Second},
		{"RedirectURL", cfg.RedirectURL(), "http://localhost:3000/callback"},
		{"PostLogoutURL", cfg.PostLogoutURL(), "http://localhost:3000/"},
		{"SecureCookies", cfg.SecureCookies(), false},
		{"SessionStore is memory (nil)", cfg.SessionStore == nil, true},
		{"ShutdownDrain", cfg.ShutdownDrain, 2 * time.Second},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoadRequiresTheClientSecret(t *testing.T) {
	for _, secret := range []string{"", "   "} {
		_, err := Load(env(map[string]string{"OIDC_CLIENT_SECRET": secret}), nil)
		if err == nil || !strings.Contains(err.Error(), "OIDC_CLIENT_SECRET") {
			t.Errorf("secret %q: error %v, want one naming OIDC_CLIENT_SECRET", secret, err)
		}
	}
}

// Every bad variable is reported at once, each by name.
func TestLoadReportsEveryProblem(t *testing.T) {
	bad := map[string]string{
		"LISTEN_ADDR":          "3000",
		"BASE_URL":             "ftp://app.example",
		"OIDC_ISSUER":          "not a url",
		"OIDC_DISCOVERY_URL":   "keycloak:8080",
		"OIDC_SCOPES":          "profile email",
		"LOG_LEVEL":            "loud",
		"SESSION_IDLE_TIMEOUT": "forever",
		"SESSION_LIFETIME":     "-1h",
		"OIDC_HTTP_TIMEOUT":    "0s",
		"SESSION_STORE":        "mysql://db",
		"SHUTDOWN_DRAIN":       "-1s",
	}
	_, err := Load(env(bad), nil)
	if err == nil {
		t.Fatal("no error")
	}
	names := append(slices.Sorted(maps.Keys(bad)), "OIDC_CLIENT_SECRET")
	for _, name := range names {
		if !strings.Contains(err.Error(), name+":") {
			t.Errorf("the error does not name %s:\n%v", name, err)
		}
	}
}

func TestLoadBaseURL(t *testing.T) {
	tests := []struct {
		baseURL  string
		ok       bool
		redirect string
		secure   bool
	}{
		{"http://localhost:3000", true, "http://localhost:3000/callback", false},
		{"http://localhost:3000/", true, "http://localhost:3000/callback", false},
		{"https://demo.example", true, "https://demo.example/callback", true},
		{"http://localhost:3000/app", false, "", false}, // the app is served at the root
		{"http://localhost:3000/app/", false, "", false},
		{"http://localhost:3000?x=1", false, "", false},
		{"http://localhost:3000#x", false, "", false},
		{"http://user:pw@localhost:3000", false, "", false},
		{"ftp://localhost:3000", false, "", false},
		{"localhost:3000", false, "", false},
		{"/relative", false, "", false},
	}
	for _, tt := range tests {
		// TOKEN_PAGES given: off localhost it must be (offlocalhost.go).
		cfg, err := Load(env(map[string]string{"OIDC_CLIENT_SECRET": "s", "BASE_URL": tt.baseURL, "TOKEN_PAGES": "off"}), nil)
		if !tt.ok {
			if err == nil || !strings.Contains(err.Error(), "BASE_URL") {
				t.Errorf("BASE_URL=%q: error %v, want one naming BASE_URL", tt.baseURL, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("BASE_URL=%q: %v", tt.baseURL, err)
			continue
		}
		if cfg.RedirectURL() != tt.redirect || cfg.SecureCookies() != tt.secure {
			t.Errorf("BASE_URL=%q: redirect %q secure %v; want %q %v",
				tt.baseURL, cfg.RedirectURL(), cfg.SecureCookies(), tt.redirect, tt.secure)
		}
		if want := strings.TrimSuffix(tt.redirect, "callback"); cfg.PostLogoutURL() != want {
			t.Errorf("BASE_URL=%q: post-logout URL %q, want %q", tt.baseURL, cfg.PostLogoutURL(), want)
		}
	}
}

func TestLoadIssuerAndDiscoveryURL(t *testing.T) {
	cfg, err := Load(env(map[string]string{
		"OIDC_CLIENT_SECRET": "s",
		"OIDC_ISSUER":        "http://localhost:8080/realms/demo/",
		"OIDC_DISCOVERY_URL": "http://keycloak:8080/realms/demo/",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Issuer != "http://localhost:8080/realms/demo" || cfg.DiscoveryURL != "http://keycloak:8080/realms/demo" {
		t.Errorf("Issuer %q DiscoveryURL %q: want them without the trailing slash", cfg.Issuer, cfg.DiscoveryURL)
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// The .env file fills in what the environment does not set; the
// environment wins.
func TestLoadDotEnvAndEnvironmentWins(t *testing.T) {
	dotenv, err := ReadDotEnv(writeFile(t, `
# the demo realm's client
OIDC_CLIENT_SECRET=from-file
OIDC_CLIENT_ID=from-file
LOG_LEVEL=debug
`))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(env(map[string]string{"OIDC_CLIENT_ID": "from-env", "LOG_LEVEL": "  "}), dotenv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ClientSecret != "from-file" {
		t.Errorf("ClientSecret = %q, want the .env value", cfg.ClientSecret)
	}
	if cfg.ClientID != "from-env" {
		t.Errorf("ClientID = %q, want the environment's value", cfg.ClientID)
	}
	if cfg.LogLevel != slog.LevelDebug {
		t.Errorf("LogLevel = %v, want the .env value (a blank variable counts as unset)", cfg.LogLevel)
	}
}

func TestReadDotEnv(t *testing.T) {
	got, err := ReadDotEnv(writeFile(t, `# comment
A=1

export B = two words
C="quoted # not a comment"
D='single'
E=
F=a=b
G="unbalanced
H=a # b
I=${A}
J="a\nb"
`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A": "1", "B": "two words", "C": "quoted # not a comment", "D": "single", "E": "", "F": "a=b", "G": `"unbalanced`,
		// What docs/configuration.md says it does not do: inline comments, expansion, escapes.
		"H": "a # b", "I": "${A}", "J": `a\nb`}
	if len(got) != len(want) {
		t.Errorf("got %d values %v, want %d", len(got), got, len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestReadDotEnvMissingFileIsFine(t *testing.T) {
	got, err := ReadDotEnv(filepath.Join(t.TempDir(), "no-such.env"))
	if err != nil || got != nil {
		t.Fatalf("ReadDotEnv(missing) = %v, %v; want nil, nil", got, err)
	}
}

func TestReadDotEnvBadLine(t *testing.T) {
	path := writeFile(t, "A=1\nthis line has no equals sign\n")
	_, err := ReadDotEnv(path)
	if err == nil || !strings.Contains(err.Error(), path+":2") {
		t.Fatalf("error %v, want one naming %s:2", err, path)
	}
}

func TestLoadSessionStore(t *testing.T) {
	tests := []struct {
		spec string
		ok   bool
	}{
		{"memory", true},
		{"redis://localhost:6379", true},
		{"redis://localhost:6379/2", true},
		{"rediss://:hunter2@redis.example:6380/0", true},
		{"redis://", false},
		{"redis://:hunter2@:6379", false},
		{"redis://:hunter2@localhost:99999", false},
		{"redis://:hunter2@localhost:6379/db", false},
		{"redis://:hunter2@localhost:6379?timeout=1s", false},
		{"mysql://:hunter2@localhost", false},
		{"redis:hunter2@localhost", false},
		{"disk", false},
		{"mem", false},
		{"redis", false},
		{"http://localhost:6379", false},
		{"postgres://db/x", false},
	}
	for _, tt := range tests {
		cfg, err := Load(env(map[string]string{"OIDC_CLIENT_SECRET": "s", "SESSION_STORE": tt.spec}), nil)
		if tt.ok {
			if err != nil || (tt.spec == "memory") != (cfg.SessionStore == nil) ||
				(cfg.SessionStore != nil && cfg.SessionStore.String() != tt.spec) {
				t.Errorf("SESSION_STORE=%q: %v, %v; want it accepted", tt.spec, cfg.SessionStore, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "SESSION_STORE") {
			t.Errorf("SESSION_STORE=%q: error %v, want one naming SESSION_STORE", tt.spec, err)
			continue
		}
		// The value may hold the Redis password: it is never repeated.
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("SESSION_STORE=%q: the error repeats the password: %v", tt.spec, err)
		}
	}
}

func TestLoadShutdownDrain(t *testing.T) {
	tests := []struct {
		value string
		want  time.Duration
		ok    bool
	}{
		{"0", 0, true},
		{"0s", 0, true},
		{"5s", 5 * time.Second, true},
		{"-1s", 0, false},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		cfg, err := Load(env(map[string]string{"OIDC_CLIENT_SECRET": "s", "SHUTDOWN_DRAIN": tt.value}), nil)
		if !tt.ok {
			if err == nil || !strings.Contains(err.Error(), "SHUTDOWN_DRAIN") {
				t.Errorf("SHUTDOWN_DRAIN=%q: error %v, want one naming SHUTDOWN_DRAIN", tt.value, err)
			}
			continue
		}
		if err != nil || cfg.ShutdownDrain != tt.want {
			t.Errorf("SHUTDOWN_DRAIN=%q: %v, %v; want %v", tt.value, cfg.ShutdownDrain, err, tt.want)
		}
	}
}

// TOKEN_PAGES turns the pages that show raw tokens on (the demo's default)
// or off, with the same spellings as every other switch (OIDC_PAR, ...).
func TestLoadTokenPages(t *testing.T) {
	for value, want := range map[string]bool{"": true, "on": true, "ON": true, "true": true, "yes": true, "1": true,
		"off": false, "Off": false, "false": false, "no": false, "0": false} {
		cfg, err := Load(env(map[string]string{"OIDC_CLIENT_SECRET": "s", "TOKEN_PAGES": value}), nil)
		if err != nil || cfg.TokenPages != want {
			t.Errorf("TOKEN_PAGES=%q: TokenPages %v, %v; want %v", value, cfg.TokenPages, err, want)
		}
	}
	for _, value := range []string{"maybe", "2", "enabled"} {
		if _, err := Load(env(map[string]string{"OIDC_CLIENT_SECRET": "s", "TOKEN_PAGES": value}), nil); err == nil || !strings.Contains(err.Error(), "TOKEN_PAGES") {
			t.Errorf("TOKEN_PAGES=%q: %v, want an error naming TOKEN_PAGES", value, err)
		}
	}
}

func TestLoadPAR(t *testing.T) {
	for raw, want := range map[string]bool{"": false, "false": false, "0": false, "true": true, "1": true, "on": true} {
		cfg, err := Load(env(map[string]string{"OIDC_CLIENT_SECRET": "s", "OIDC_PAR": raw}), nil)
		if err != nil || cfg.PAR != want {
			t.Errorf("OIDC_PAR=%q: PAR %v, error %v; want %v", raw, cfg.PAR, err, want)
		}
	}
	if _, err := Load(env(map[string]string{"OIDC_CLIENT_SECRET": "s", "OIDC_PAR": "maybe"}), nil); err == nil || !strings.Contains(err.Error(), "OIDC_PAR") {
		t.Errorf("OIDC_PAR=maybe: error %v, want one naming OIDC_PAR", err)
	}
}

func TestLoadClientAuth(t *testing.T) {
	cfg, err := Load(env(map[string]string{"OIDC_CLIENT_SECRET": "s"}), nil)
	if err != nil || cfg.ClientAuth != ClientSecretBasic {
		t.Errorf("default: %q, %v; want client_secret_basic", cfg.ClientAuth, err)
	}
	// private_key_jwt needs no secret, and may name a key file.
	cfg, err = Load(env(map[string]string{"OIDC_CLIENT_AUTH": "private_key_jwt", "OIDC_CLIENT_KEY_FILE": "/keys/app.pem"}), nil)
	if err != nil || cfg.ClientAuth != PrivateKeyJWT || cfg.ClientKeyFile != "/keys/app.pem" {
		t.Errorf("private_key_jwt: %+v, %v", cfg, err)
	}
	if _, err := Load(env(map[string]string{"OIDC_CLIENT_AUTH": "client_secret_basic"}), nil); err == nil || !strings.Contains(err.Error(), "OIDC_CLIENT_SECRET") {
		t.Errorf("client_secret_basic without a secret: %v, want an error naming OIDC_CLIENT_SECRET", err)
	}
	if _, err := Load(env(map[string]string{"OIDC_CLIENT_SECRET": "s", "OIDC_CLIENT_AUTH": "none"}), nil); err == nil || !strings.Contains(err.Error(), "OIDC_CLIENT_AUTH") {
		t.Errorf("OIDC_CLIENT_AUTH=none: %v, want an error naming it", err)
	}
}

func TestLoadDPoP(t *testing.T) {
	cfg, err := Load(env(map[string]string{"OIDC_CLIENT_SECRET": "s"}), nil)
	if err != nil || cfg.DPoP || cfg.DPoPKeyFile != "" {
		t.Errorf("default: DPoP %v, key file %q, %v; want off", cfg.DPoP, cfg.DPoPKeyFile, err)
	}
	cfg, err = Load(env(map[string]string{"OIDC_CLIENT_SECRET": "s", "OIDC_DPOP": "true", "OIDC_DPOP_KEY_FILE": "/keys/dpop.pem"}), nil)
	if err != nil || !cfg.DPoP || cfg.DPoPKeyFile != "/keys/dpop.pem" {
		t.Errorf("OIDC_DPOP=true: DPoP %v, key file %q, %v", cfg.DPoP, cfg.DPoPKeyFile, err)
	}
	if _, err := Load(env(map[string]string{"OIDC_CLIENT_SECRET": "s", "OIDC_DPOP": "sometimes"}), nil); err == nil || !strings.Contains(err.Error(), "OIDC_DPOP") {
		t.Errorf("OIDC_DPOP=sometimes: %v, want an error naming it", err)
	}
}
