package auth

import "testing"

// In docker compose Keycloak names its revocation endpoint at the browser's
// address (the issuer's); the app calls it at the address it fetched
// discovery from. Outside compose nothing changes.
func TestBackChannelURL(t *testing.T) {
	const issuer = "http://localhost:8080/realms/demo"
	for _, tc := range []struct{ endpoint, discovery, want string }{
		{"http://localhost:8080/realms/demo/protocol/openid-connect/revoke", "http://keycloak:8080/realms/demo",
			"http://keycloak:8080/realms/demo/protocol/openid-connect/revoke"},
		{"http://keycloak:8080/realms/demo/protocol/openid-connect/token", "http://keycloak:8080/realms/demo",
			"http://keycloak:8080/realms/demo/protocol/openid-connect/token"},
		{"http://localhost:8080/realms/demo/protocol/openid-connect/revoke", issuer,
			"http://localhost:8080/realms/demo/protocol/openid-connect/revoke"},
		{"https://elsewhere.example/revoke", "http://keycloak:8080/realms/demo", "https://elsewhere.example/revoke"},
		{"", "http://keycloak:8080/realms/demo", ""},
	} {
		if got := backChannelURL(tc.endpoint, issuer, tc.discovery); got != tc.want {
			t.Errorf("backChannelURL(%q, discovery %q) = %q, want %q", tc.endpoint, tc.discovery, got, tc.want)
		}
	}
}
