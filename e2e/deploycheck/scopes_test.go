package deploycheck

// Scopes and consent (issue 18): the realm file's client scopes
// demo-api.read and demo-api.write, the clients that get them, and
// demo-app-consent, the client that asks for consent.
//
// A realm file with a top-level "clientScopes" array gets ONLY the scopes
// it lists, and Keycloak creates its built-in clients (account,
// account-console, ...) before those scopes exist, so the built-in clients
// get none unless the file lists them too (RealmManager.importRealm in
// Keycloak 26). So the file lists every built-in scope and client, as the
// running realm has them: these checks keep it that way.

import (
	"encoding/json"
	"regexp"
	"slices"
	"testing"
)

const (
	readScope       = "demo-api.read"
	writeScope      = "demo-api.write"
	consentClientID = "demo-app-consent"
	consentBaseURL  = "http://localhost:3005"
	consentBackchan = "APP_CONSENT_BACKCHANNEL_LOGOUT_URL"
)

// apiCallers are the clients whose access tokens go to the demo API: each
// gets demo-api.read by default and demo-api.write when it asks.
var apiCallers = []string{"demo-app", "demo-app-2", "demo-app-fapi", "demo-app-options", "demo-app-jwt",
	"demo-app-service", "demo-seed", consentClientID}

// notAPICallers must not get the demo API's scopes.
var notAPICallers = []string{"demo-minimal"}

// Keycloak's own client scopes (OpenID Connect) and clients: a realm file
// with clientScopes must list them, or they are gone after a fresh import.
var (
	builtinScopes  = []string{"acr", "address", "basic", "email", "microprofile-jwt", "offline_access", "organization", "phone", "profile", "roles", "service_account", "web-origins"}
	builtinClients = []string{"account", "account-console", "admin-cli", "broker", "realm-management", "security-admin-console"}
	// What every OpenID Connect client gets unless it says otherwise.
	wantDefaultDefault = []string{"acr", "basic", "email", "profile", "roles", "web-origins"}
)

type scopeRep struct {
	Name            string            `json:"name"`
	Protocol        string            `json:"protocol"`
	Attributes      map[string]string `json:"attributes"`
	ProtocolMappers []mapperRep       `json:"protocolMappers"`
}

type scopedClientRep struct {
	clientRep
	ConsentRequired      *bool    `json:"consentRequired"`
	FullScopeAllowed     *bool    `json:"fullScopeAllowed"`
	DefaultClientScopes  []string `json:"defaultClientScopes"`
	OptionalClientScopes []string `json:"optionalClientScopes"`
}

type scopesRealmRep struct {
	Realm                       string      `json:"realm"`
	DefaultRole                 *roleRep    `json:"defaultRole"`
	DefaultDefaultClientScopes  []string    `json:"defaultDefaultClientScopes"`
	DefaultOptionalClientScopes []string    `json:"defaultOptionalClientScopes"`
	ClientScopes                *[]scopeRep `json:"clientScopes"`
	Roles                       struct {
		Realm []roleRep `json:"realm"`
	} `json:"roles"`
	Clients []scopedClientRep `json:"clients"`
}

// clientScopeProblems checks the realm file's client scopes and the clients
// that use them.
func clientScopeProblems(raw []byte) problems {
	var ps problems
	var r scopesRealmRep
	if err := json.Unmarshal(raw, &r); err != nil {
		ps.addf("%s: %v", realmFile, err)
		return ps
	}
	if r.ClientScopes == nil {
		ps.addf("%s: no clientScopes: %s and %s are defined there", realmFile, readScope, writeScope)
		return ps
	}
	scopes := map[string]scopeRep{}
	for _, s := range *r.ClientScopes {
		scopes[s.Name] = s
	}

	// Keycloak's own scopes, which a listed clientScopes replaces.
	for _, name := range builtinScopes {
		if _, ok := scopes[name]; !ok {
			ps.addf("%s: clientScopes lacks the built-in scope %q: a fresh import would not create it", realmFile, name)
		}
	}
	if !slices.ContainsFunc(scopes["basic"].ProtocolMappers, func(m mapperRep) bool { return m.ProtocolMapper == "oidc-sub-mapper" }) {
		ps.addf("%s: client scope basic has no oidc-sub-mapper: access tokens would have no sub", realmFile)
	}
	for _, name := range wantDefaultDefault {
		if !slices.Contains(r.DefaultDefaultClientScopes, name) {
			ps.addf("%s: defaultDefaultClientScopes lacks %q (new clients would not get it)", realmFile, name)
		}
	}
	if !slices.Contains(r.DefaultOptionalClientScopes, "offline_access") {
		ps.addf("%s: defaultOptionalClientScopes lacks offline_access", realmFile)
	}
	clients := map[string]scopedClientRep{}
	for _, c := range r.Clients {
		clients[c.ClientID] = c
	}
	for _, id := range builtinClients {
		c, ok := clients[id]
		switch {
		case !ok:
			ps.addf("%s: the built-in client %s is not listed: Keycloak would create it before the clientScopes exist, with no scopes", realmFile, id)
		case !slices.Contains(c.DefaultClientScopes, "basic") && id != "broker" && id != "realm-management":
			ps.addf("%s: the built-in client %s lists no defaultClientScopes with basic", realmFile, id)
		}
	}
	// Listing default-roles-<realm> without naming it the default role
	// makes the import create another, empty default role.
	defaultRole := "default-roles-" + r.Realm
	if slices.Contains(names(r.Roles.Realm), defaultRole) && (r.DefaultRole == nil || r.DefaultRole.Name != defaultRole) {
		ps.addf("%s: roles.realm lists %s but defaultRole does not name it: the import would make an empty default role", realmFile, defaultRole)
	}

	// The demo API's scopes.
	for _, name := range []string{readScope, writeScope} {
		s, ok := scopes[name]
		if !ok {
			ps.addf("%s: no client scope %s", realmFile, name)
			continue
		}
		if s.Protocol != "openid-connect" {
			ps.addf("client scope %s: protocol %q, want openid-connect", name, s.Protocol)
		}
		// RFC 9068 section 2.2.3: the scope claim carries it; the API
		// reads it there.
		if s.Attributes["include.in.token.scope"] != "true" {
			ps.addf("client scope %s: include.in.token.scope = %q, want true (the API reads the access token's scope claim)", name, s.Attributes["include.in.token.scope"])
		}
		if s.Attributes["display.on.consent.screen"] != "true" || s.Attributes["consent.screen.text"] == "" {
			ps.addf("client scope %s: display.on.consent.screen must be true with a consent.screen.text (the user grants it)", name)
		}
		audienceProblems(&ps, &clientRep{ClientID: "scope " + name, ProtocolMappers: s.ProtocolMappers}, apiAudience)
	}
	for _, id := range apiCallers {
		c, ok := clients[id]
		if !ok {
			ps.addf("%s: no client %s", realmFile, id)
			continue
		}
		if !slices.Contains(c.DefaultClientScopes, readScope) || slices.Contains(c.OptionalClientScopes, readScope) {
			ps.addf("client %s: %s must be a default client scope (its tokens go to the demo API)", id, readScope)
		}
		if !slices.Contains(c.OptionalClientScopes, writeScope) || slices.Contains(c.DefaultClientScopes, writeScope) {
			ps.addf("client %s: %s must be an optional client scope (asked for only when needed)", id, writeScope)
		}
		if !slices.Contains(c.DefaultClientScopes, "basic") {
			ps.addf("client %s: defaultClientScopes lacks basic (sub in access tokens)", id)
		}
	}
	for _, id := range notAPICallers {
		if c := clients[id]; slices.Contains(c.DefaultClientScopes, readScope) || slices.Contains(c.OptionalClientScopes, writeScope) {
			ps.addf("client %s does not call the demo API: no %s or %s", id, readScope, writeScope)
		}
	}

	// Consent: on demo-app-consent only, so that the main client's first
	// login (every learner's, every browser test's) has no consent screen.
	for id, c := range clients {
		if isTrue(c.ConsentRequired) && id != consentClientID {
			ps.addf("client %s requires consent: only %s does", id, consentClientID)
		}
	}
	c, ok := clients[consentClientID]
	if !ok {
		return ps
	}
	if !isTrue(c.ConsentRequired) {
		ps.addf("client %s: consentRequired must be true", consentClientID)
	}
	// Keycloak imports a client that asks for consent with fullScopeAllowed
	// off unless the file says otherwise: its tokens would carry no roles.
	if !isTrue(c.FullScopeAllowed) {
		ps.addf("client %s: fullScopeAllowed must be true, explicitly (roles in its tokens, like the other clients)", consentClientID)
	}
	if c.PublicClient == nil || *c.PublicClient || !isTrue(c.StandardFlowEnabled) || c.DirectAccessGrantsEnabled == nil || *c.DirectAccessGrantsEnabled {
		ps.addf("client %s: confidential, standard flow only (publicClient and directAccessGrantsEnabled false)", consentClientID)
	}
	if want := []string{consentBaseURL + "/callback", consentBaseURL + "/slow/callback"}; !slices.Equal(c.RedirectURIs, want) {
		ps.addf("client %s: redirectUris = %q, want %q", consentClientID, c.RedirectURIs, want)
	}
	if got := c.Attributes["post.logout.redirect.uris"]; got != consentBaseURL+"/" {
		ps.addf("client %s: post.logout.redirect.uris = %q, want %q", consentClientID, got, consentBaseURL+"/")
	}
	if c.Attributes["pkce.code.challenge.method"] != "S256" {
		ps.addf("client %s: pkce.code.challenge.method must be S256", consentClientID)
	}
	back := regexp.MustCompile(`^\$\{` + consentBackchan + `:` + regexp.QuoteMeta(consentBaseURL) + `/backchannel-logout\}$`)
	if !back.MatchString(c.Attributes["backchannel.logout.url"]) || c.Attributes["backchannel.logout.session.required"] != "true" {
		ps.addf("client %s: backchannel.logout.url = %q, want ${%s:%s/backchannel-logout} with session.required", consentClientID,
			c.Attributes["backchannel.logout.url"], consentBackchan, consentBaseURL)
	}
	return ps
}

func TestRealmClientScopes(t *testing.T) {
	report(t, clientScopeProblems(readRealm(t, repoRoot(t))))
}

// Each mistake must be caught.
func TestClientScopeChecksCatchMistakes(t *testing.T) {
	raw := readRealm(t, repoRoot(t))
	named := func(list any, key, value string) map[string]any {
		for _, o := range list.([]any) {
			if o := o.(map[string]any); o[key] == value {
				return o
			}
		}
		panic("no " + value)
	}
	scope := func(r map[string]any, name string) map[string]any { return named(r["clientScopes"], "name", name) }
	clientOf := func(r map[string]any, id string) map[string]any { return named(r["clients"], "clientId", id) }
	without := func(list any, value string) []any {
		var out []any
		for _, v := range list.([]any) {
			if v != value {
				out = append(out, v)
			}
		}
		return out
	}
	cases := []struct {
		name, want string
		mutate     func(r map[string]any)
	}{
		{"no clientScopes", "no clientScopes", func(r map[string]any) { delete(r, "clientScopes") }},
		{"built-in basic gone", `built-in scope "basic"`, func(r map[string]any) {
			var keep []any
			for _, s := range r["clientScopes"].([]any) {
				if s.(map[string]any)["name"] != "basic" {
					keep = append(keep, s)
				}
			}
			r["clientScopes"] = keep
		}},
		{"basic without sub", "oidc-sub-mapper", func(r map[string]any) { scope(r, "basic")["protocolMappers"] = []any{} }},
		{"realm defaults gone", "defaultDefaultClientScopes", func(r map[string]any) { delete(r, "defaultDefaultClientScopes") }},
		{"account-console not listed", "account-console", func(r map[string]any) {
			clientOf(r, "account-console")["clientId"] = "other"
		}},
		{"default role not named", "defaultRole", func(r map[string]any) { delete(r, "defaultRole") }},
		{"read not in the scope claim", "include.in.token.scope", func(r map[string]any) {
			scope(r, readScope)["attributes"].(map[string]any)["include.in.token.scope"] = "false"
		}},
		{"write not on the consent screen", "display.on.consent.screen", func(r map[string]any) {
			scope(r, writeScope)["attributes"].(map[string]any)["display.on.consent.screen"] = "false"
		}},
		{"write without audience", "scope demo-api.write has no oidc-audience-mapper", func(r map[string]any) {
			scope(r, writeScope)["protocolMappers"] = []any{}
		}},
		{"read's audience in the ID token", "id.token.claim", func(r map[string]any) {
			scope(r, readScope)["protocolMappers"].([]any)[0].(map[string]any)["config"].(map[string]any)["id.token.claim"] = "true"
		}},
		{"seed without read", "client demo-seed: demo-api.read", func(r map[string]any) {
			c := clientOf(r, "demo-seed")
			c["defaultClientScopes"] = without(c["defaultClientScopes"], readScope)
		}},
		{"write by default", "client demo-app: demo-api.write", func(r map[string]any) {
			c := clientOf(r, "demo-app")
			c["defaultClientScopes"] = append(c["defaultClientScopes"].([]any), writeScope)
		}},
		{"minimal calls the API", "demo-minimal does not call", func(r map[string]any) {
			clientOf(r, "demo-minimal")["defaultClientScopes"] = []any{"basic", readScope}
		}},
		{"consent on the main client", "client demo-app requires consent", func(r map[string]any) {
			clientOf(r, "demo-app")["consentRequired"] = true
		}},
		{"consent client without consent", "consentRequired must be true", func(r map[string]any) {
			clientOf(r, consentClientID)["consentRequired"] = false
		}},
		{"consent client without roles", "fullScopeAllowed", func(r map[string]any) {
			delete(clientOf(r, consentClientID), "fullScopeAllowed")
		}},
		{"consent client on 3000", "redirectUris", func(r map[string]any) {
			clientOf(r, consentClientID)["redirectUris"] = []any{"http://localhost:3000/callback"}
		}},
		{"consent client back-channel literal", "backchannel.logout.url", func(r map[string]any) {
			clientOf(r, consentClientID)["attributes"].(map[string]any)["backchannel.logout.url"] = consentBaseURL + "/backchannel-logout"
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r map[string]any
			if err := json.Unmarshal(raw, &r); err != nil {
				t.Fatal(err)
			}
			tc.mutate(r)
			b, _ := json.Marshal(r)
			expectProblem(t, clientScopeProblems(b), tc.want)
		})
	}
}
