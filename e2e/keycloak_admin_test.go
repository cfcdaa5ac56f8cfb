package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// keycloakAdmin calls Keycloak's admin REST API as the administrator
// admin/admin of the master realm: the tests end sessions and change the
// demo-app client with it.
type keycloakAdmin struct {
	t      *testing.T
	client *http.Client
}

func newKeycloakAdmin(t *testing.T) *keycloakAdmin {
	return &keycloakAdmin{t: t, client: &http.Client{Timeout: stepTimeout}}
}

// token gets a fresh admin token (master realm, admin-cli, admin/admin).
// Admin tokens live 60 s, so every call gets its own.
func (k *keycloakAdmin) token() string {
	k.t.Helper()
	form := "grant_type=password&client_id=admin-cli&username=admin&password=admin"
	resp, err := k.client.Post(keycloakURL+"/realms/master/protocol/openid-connect/token",
		"application/x-www-form-urlencoded", strings.NewReader(form))
	if err != nil {
		k.t.Fatalf("getting a Keycloak admin token: %v", err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &body) != nil || body.AccessToken == "" {
		k.t.Fatalf("getting a Keycloak admin token (admin/admin in realm master): HTTP %d %s", resp.StatusCode, raw)
	}
	return body.AccessToken
}

// call sends an admin API request; out (if not nil) receives the JSON answer.
func (k *keycloakAdmin) call(method, path string, in, out any) {
	k.t.Helper()
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			k.t.Fatal(err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, keycloakURL+"/admin/realms/"+realm+path, body)
	if err != nil {
		k.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+k.token())
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := k.client.Do(req)
	if err != nil {
		k.t.Fatalf("Keycloak admin API %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		k.t.Fatalf("Keycloak admin API %s %s: HTTP %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			k.t.Fatalf("Keycloak admin API %s %s: decoding %s: %v", method, path, raw, err)
		}
	}
}

func (k *keycloakAdmin) userID(username string) string {
	k.t.Helper()
	var users []struct {
		ID string `json:"id"`
	}
	k.call(http.MethodGet, "/users?exact=true&username="+username, nil, &users)
	if len(users) != 1 {
		k.t.Fatalf("Keycloak has %d users named %q in realm %s, want 1", len(users), username, realm)
	}
	return users[0].ID
}

// userSessionIDs lists the ids of the user's sessions at Keycloak; an ID
// token's sid is the id of the session it belongs to.
func (k *keycloakAdmin) userSessionIDs(userID string) []string {
	k.t.Helper()
	var sessions []struct {
		ID string `json:"id"`
	}
	k.call(http.MethodGet, "/users/"+userID+"/sessions", nil, &sessions)
	ids := make([]string, len(sessions))
	for i, s := range sessions {
		ids[i] = s.ID
	}
	return ids
}

// logoutUser ends every Keycloak session of the user, as an administrator
// would; Keycloak then sends back-channel logout tokens to the clients.
func (k *keycloakAdmin) logoutUser(userID string) {
	k.t.Helper()
	k.call(http.MethodPost, "/users/"+userID+"/logout", nil, nil)
}

func (k *keycloakAdmin) clientUUID() string {
	k.t.Helper()
	var clients []struct {
		ID string `json:"id"`
	}
	k.call(http.MethodGet, "/clients?clientId="+clientID, nil, &clients)
	if len(clients) != 1 {
		k.t.Fatalf("Keycloak has %d clients %q in realm %s, want 1", len(clients), clientID, realm)
	}
	return clients[0].ID
}

// disabledBackchannelPath is where TestTokenRefresh points the client's
// back-channel logout URL for a moment.
const disabledBackchannelPath = "/e2e-backchannel-logout-disabled"

// repairInterruptedRun restores the client's back-channel logout URL if an
// interrupted run of TestTokenRefresh (killed before its cleanup) left it
// pointing nowhere: back-channel logout would silently stop working.
func (k *keycloakAdmin) repairInterruptedRun() {
	k.t.Helper()
	id := k.clientUUID()
	var client struct {
		Attributes map[string]string `json:"attributes"`
	}
	k.call(http.MethodGet, "/clients/"+id, nil, &client)
	if url := client.Attributes["backchannel.logout.url"]; strings.HasSuffix(url, disabledBackchannelPath) {
		want := backchannelBase() + "/backchannel-logout"
		k.call(http.MethodPut, "/clients/"+id, map[string]any{"attributes": map[string]string{"backchannel.logout.url": want}}, nil)
		k.t.Logf("repaired the leftover of an interrupted run: the client's backchannel.logout.url was %s, is %s again", url, want)
	}
}

// setClientAttributes changes attributes of the demo-app client for this
// test and restores their values when the test ends (an attribute that was
// not set is removed again: Keycloak removes an attribute set to "").
func (k *keycloakAdmin) setClientAttributes(attrs map[string]string) {
	k.t.Helper()
	id := k.clientUUID()
	var client map[string]any
	k.call(http.MethodGet, "/clients/"+id, nil, &client)
	current, _ := client["attributes"].(map[string]any)
	original := make(map[string]string, len(attrs))
	for name := range attrs {
		v, _ := current[name].(string)
		original[name] = v
	}
	k.t.Cleanup(func() {
		k.call(http.MethodPut, "/clients/"+id, map[string]any{"attributes": original}, nil)
		var after map[string]any
		k.call(http.MethodGet, "/clients/"+id, nil, &after)
		now, _ := after["attributes"].(map[string]any)
		for name, want := range original {
			if got, _ := now[name].(string); got != want {
				k.t.Errorf("restoring client %s: attribute %s is %q, want %q; fix it in the admin console", clientID, name, got, want)
			}
		}
		k.t.Logf("restored the %s client's attributes %v", clientID, original)
	})
	k.call(http.MethodPut, "/clients/"+id, map[string]any{"attributes": attrs}, nil)
	k.t.Logf("set the %s client's attributes %v (were %v) via the admin API", clientID, attrs, original)
}
