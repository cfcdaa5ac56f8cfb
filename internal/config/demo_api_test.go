package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadAPIClientDefaults(t *testing.T) {
	cfg, err := Load(env(map[string]string{"OIDC_CLIENT_SECRET": "s3cret"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.APIURL.String() != "http://localhost:4000" || cfg.APITimeout != 5*time.Second {
		t.Errorf("API_URL %v, API_HTTP_TIMEOUT %v; want http://localhost:4000 and 5s", cfg.APIURL, cfg.APITimeout)
	}
	if cfg.ServiceClientID != "" || cfg.ServiceClientSecret != "" {
		t.Errorf("client credentials on by default: %q", cfg.ServiceClientID)
	}
	if cfg.SessionCookieName != "session" {
		t.Errorf("SESSION_COOKIE_NAME = %q, want session", cfg.SessionCookieName)
	}
}

func TestLoadAPIClientSettings(t *testing.T) {
	cfg, err := Load(env(map[string]string{
		"OIDC_CLIENT_SECRET": "s3cret", "API_URL": "http://api:4000/", "API_HTTP_TIMEOUT": "750ms",
		"OIDC_SERVICE_CLIENT_ID": "demo-app-service", "OIDC_SERVICE_CLIENT_SECRET": "x",
		"SESSION_COOKIE_NAME": "session2",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.APIURL.String() != "http://api:4000" || cfg.APITimeout != 750*time.Millisecond ||
		cfg.ServiceClientID != "demo-app-service" || cfg.ServiceClientSecret != "x" || cfg.SessionCookieName != "session2" {
		t.Errorf("got %v %v %q %q %q", cfg.APIURL, cfg.APITimeout, cfg.ServiceClientID, cfg.ServiceClientSecret, cfg.SessionCookieName)
	}
}

func TestLoadAPIClientProblems(t *testing.T) {
	cases := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"API_URL not http", map[string]string{"API_URL": "ftp://api"}, "API_URL"},
		{"API_URL relative", map[string]string{"API_URL": "/api"}, "API_URL"},
		{"timeout", map[string]string{"API_HTTP_TIMEOUT": "0s"}, "API_HTTP_TIMEOUT"},
		{"service id without secret", map[string]string{"OIDC_SERVICE_CLIENT_ID": "demo-app-service"}, "OIDC_SERVICE_CLIENT_ID"},
		{"service secret without id", map[string]string{"OIDC_SERVICE_CLIENT_SECRET": "x"}, "OIDC_SERVICE_CLIENT_ID"},
		{"cookie name with a space", map[string]string{"SESSION_COOKIE_NAME": "my session"}, "SESSION_COOKIE_NAME"},
		{"cookie name with a prefix", map[string]string{"SESSION_COOKIE_NAME": "__Host-session"}, "SESSION_COOKIE_NAME"},
		{"cookie name with a semicolon", map[string]string{"SESSION_COOKIE_NAME": "a;b"}, "SESSION_COOKIE_NAME"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.vars["OIDC_CLIENT_SECRET"] = "s3cret"
			_, err := Load(env(tc.vars), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming %s", err, tc.want)
			}
		})
	}
}

func TestLoadAPIDefaults(t *testing.T) {
	cfg, err := LoadAPI(env(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ListenAddr != ":4000" || cfg.Audience != "demo-api" || cfg.Issuer != "http://localhost:8080/realms/demo" ||
		cfg.DiscoveryURL != cfg.Issuer || cfg.ProviderTimeout != 10*time.Second || cfg.PublicURL != "http://localhost:4000" {
		t.Errorf("got %+v", cfg)
	}
}

// The API shares the app's .env: OIDC_ISSUER and OIDC_DISCOVERY_URL from it,
// the environment winning, and the app's LISTEN_ADDR ignored.
func TestLoadAPIFromTheAppsDotEnv(t *testing.T) {
	dotenv := map[string]string{
		"LISTEN_ADDR": ":3000", "OIDC_ISSUER": "http://localhost:8080/realms/demo/",
		"OIDC_DISCOVERY_URL": "http://keycloak:8080/realms/demo", "LOG_LEVEL": "debug",
	}
	cfg, err := LoadAPI(env(map[string]string{"API_LISTEN_ADDR": "127.0.0.1:4001"}), dotenv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ListenAddr != "127.0.0.1:4001" || cfg.Issuer != "http://localhost:8080/realms/demo" ||
		cfg.DiscoveryURL != "http://keycloak:8080/realms/demo" || cfg.LogLevel.String() != "DEBUG" {
		t.Errorf("got %+v", cfg)
	}

	// And config.example.env gives the API a working configuration.
	example, err := ReadDotEnv(filepath.Join("..", "..", "config.example.env"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadAPI(env(nil), example); err != nil {
		t.Errorf("config.example.env: %v", err)
	}
	if _, err := Load(env(nil), example); err != nil {
		t.Errorf("config.example.env for the app: %v", err)
	}
}

func TestLoadAPIReportsEveryProblem(t *testing.T) {
	_, err := LoadAPI(env(map[string]string{
		"API_LISTEN_ADDR": "4000", "OIDC_ISSUER": "localhost", "OIDC_DISCOVERY_URL": "ftp://x",
		"API_AUDIENCE": "demo api", "LOG_LEVEL": "loud", "OIDC_HTTP_TIMEOUT": "-1s",
		"API_PUBLIC_URL": "api:4000",
	}), nil)
	if err == nil {
		t.Fatal("no error")
	}
	for _, name := range []string{"API_LISTEN_ADDR", "OIDC_ISSUER", "OIDC_DISCOVERY_URL", "API_AUDIENCE", "LOG_LEVEL", "OIDC_HTTP_TIMEOUT", "API_PUBLIC_URL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not name %s:\n%v", name, err)
		}
	}
}

// API_PUBLIC_URL: the URL DPoP proofs (htu) must name. Unset, it follows
// API_LISTEN_ADDR, with localhost for an empty or unspecified host; set, it
// wins whatever the listen address, with no trailing slash.
func TestLoadAPIPublicURL(t *testing.T) {
	for _, tc := range []struct{ listen, public, want string }{
		{":4000", "", "http://localhost:4000"},
		{"0.0.0.0:4000", "", "http://localhost:4000"},
		{"[::]:4001", "", "http://localhost:4001"},
		{"127.0.0.1:4000", "", "http://127.0.0.1:4000"},
		{"[::1]:4000", "", "http://[::1]:4000"},
		{"api.internal:4000", "", "http://api.internal:4000"},
		{":4000", "http://api:4000", "http://api:4000"},
		{":4000", "https://api.example.com/", "https://api.example.com"},
		{"127.0.0.1:4000", "https://example.com/demo-api", "https://example.com/demo-api"},
	} {
		cfg, err := LoadAPI(env(map[string]string{"API_LISTEN_ADDR": tc.listen, "API_PUBLIC_URL": tc.public}), nil)
		if err != nil {
			t.Errorf("API_LISTEN_ADDR %q, API_PUBLIC_URL %q: %v", tc.listen, tc.public, err)
			continue
		}
		if cfg.PublicURL != tc.want {
			t.Errorf("API_LISTEN_ADDR %q, API_PUBLIC_URL %q: PublicURL %q, want %q", tc.listen, tc.public, cfg.PublicURL, tc.want)
		}
	}
	for _, bad := range []string{"api:4000", "/api", "ftp://api", "http://api:4000/?x=1", "http://api:4000/#top", "http://user@api:4000"} {
		_, err := LoadAPI(env(map[string]string{"API_PUBLIC_URL": bad}), nil)
		if err == nil || !strings.Contains(err.Error(), "API_PUBLIC_URL") {
			t.Errorf("API_PUBLIC_URL %q: error %v, want one naming API_PUBLIC_URL", bad, err)
		}
	}
}
