package config

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// A deployment that other people reach (BASE_URL not on this machine) is
// refused while it carries a published demo secret or has the token pages
// on by default; the error names the variable and says what to change.
func TestDemoSettingsRefusedOffLocalhost(t *testing.T) {
	offLocalhost := []string{
		"https://demo.example", "http://app.example.com:3000", "http://10.0.0.5:3000",
		"http://192.168.1.20", "http://[2001:db8::1]:3000", "http://[::ffff:10.0.0.1]:3000",
		"http://0.0.0.0:3000", "http://localhost.example.com", "http://127.0.0.1.nip.io:3000",
	}
	for _, base := range offLocalhost {
		// The demo's own settings, at another address.
		_, err := Load(env(map[string]string{
			"BASE_URL":                   base,
			"OIDC_CLIENT_SECRET":         "demo-app-secret-change-me",
			"OIDC_SERVICE_CLIENT_ID":     "demo-app-service",
			"OIDC_SERVICE_CLIENT_SECRET": "demo-app-service-secret-change-me",
		}), nil)
		if err == nil {
			t.Errorf("BASE_URL=%s with the demo secrets and TOKEN_PAGES unset: the app starts", base)
			continue
		}
		msg := err.Error()
		for _, want := range []string{"OIDC_CLIENT_SECRET:", "OIDC_SERVICE_CLIENT_SECRET:", "TOKEN_PAGES:", "TOKEN_PAGES=off", "Regenerate", base} {
			if !strings.Contains(msg, want) {
				t.Errorf("BASE_URL=%s: the error does not say %q:\n%s", base, want, msg)
			}
		}
		if strings.Contains(msg, "secret-change-me") {
			t.Errorf("BASE_URL=%s: the error repeats a secret:\n%s", base, msg)
		}

		// Each on its own is enough to refuse.
		if _, err := Load(env(map[string]string{"BASE_URL": base, "OIDC_CLIENT_SECRET": "demo-app-2-secret-change-me", "TOKEN_PAGES": "off"}), nil); err == nil || !strings.Contains(err.Error(), "OIDC_CLIENT_SECRET") {
			t.Errorf("BASE_URL=%s with a demo client secret: %v, want it refused", base, err)
		}
		if _, err := Load(env(map[string]string{"BASE_URL": base, "OIDC_CLIENT_SECRET": "a-real-secret"}), nil); err == nil || !strings.Contains(err.Error(), "TOKEN_PAGES") {
			t.Errorf("BASE_URL=%s with TOKEN_PAGES unset: %v, want it refused", base, err)
		}
		// Real secrets and TOKEN_PAGES given: it starts, from the
		// environment or from .env alike.
		for _, tokenPages := range []string{"off", "on"} {
			if _, err := Load(env(map[string]string{"BASE_URL": base, "OIDC_CLIENT_SECRET": "a-real-secret", "TOKEN_PAGES": tokenPages}), nil); err != nil {
				t.Errorf("BASE_URL=%s, a real secret, TOKEN_PAGES=%s: %v", base, tokenPages, err)
			}
		}
		if _, err := Load(env(map[string]string{"BASE_URL": base}), map[string]string{"OIDC_CLIENT_SECRET": "a-real-secret", "TOKEN_PAGES": "off"}); err != nil {
			t.Errorf("BASE_URL=%s, secret and TOKEN_PAGES in .env: %v", base, err)
		}
		// A demo secret in .env is refused as well.
		if _, err := Load(env(map[string]string{"BASE_URL": base, "TOKEN_PAGES": "off"}), map[string]string{"OIDC_CLIENT_SECRET": "demo-app-secret-change-me"}); err == nil {
			t.Errorf("BASE_URL=%s with the demo secret in .env: the app starts", base)
		}
	}
}

// On this machine the demo's settings are fine: the browser, the demo
// script and docker compose all reach the app at localhost.
func TestDemoSettingsAcceptedOnLocalhost(t *testing.T) {
	for _, base := range []string{
		"http://localhost:3000", "http://LOCALHOST:3001", "https://localhost", "http://127.0.0.1:3000",
		"http://127.8.9.10:3000", "http://[::1]:3000", "http://[::ffff:127.0.0.1]:3000",
	} {
		_, err := Load(env(map[string]string{
			"BASE_URL":                   base,
			"OIDC_CLIENT_SECRET":         "demo-app-secret-change-me",
			"OIDC_SERVICE_CLIENT_ID":     "demo-app-service",
			"OIDC_SERVICE_CLIENT_SECRET": "demo-app-service-secret-change-me",
		}), nil)
		if err != nil {
			t.Errorf("BASE_URL=%s with the demo settings: %v", base, err)
		}
	}
}

// Every client secret the repository publishes is one the check refuses:
// the realm's clients, and the *_SECRET values of config.example.env,
// docker-compose.yml and scripts/demo.sh.
func TestEveryPublishedSecretIsRefused(t *testing.T) {
	var published []string
	var realm struct {
		Clients []struct {
			ClientID string `json:"clientId"`
			Secret   string `json:"secret"`
		} `json:"clients"`
	}
	data, err := os.ReadFile("../../keycloak/demo-realm.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &realm); err != nil {
		t.Fatal(err)
	}
	for _, c := range realm.Clients {
		if c.Secret != "" {
			published = append(published, c.Secret)
		}
	}
	secretVar := regexp.MustCompile(`[A-Z_]*SECRET[A-Z_]*[ \t]*[=:][ \t]*"?([A-Za-z0-9][^\s"$\\]*)`)
	for _, file := range []string{"../../config.example.env", "../../docker-compose.yml", "../../scripts/demo.sh"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range secretVar.FindAllStringSubmatch(string(data), -1) {
			published = append(published, m[1])
		}
	}
	if len(published) < 6 {
		t.Fatalf("found only %d published secrets (%v): the files changed shape?", len(published), published)
	}
	for _, secret := range published {
		if !isDemoSecret(secret) {
			t.Errorf("the published secret %q would be accepted off localhost", secret)
		}
	}
}
