// Package e2e holds the end-to-end tests of authcode-demo: a headless
// Chromium, driven with chromedp, logs in through the real Keycloak (realm
// "demo") against the real app binary, which the tests build and start.
//
// Run them from the repository root:
//
//	scripts/keycloak.sh start     # Keycloak on http://localhost:8080 (once)
//	npm ci --prefix e2e           # axe-core, for the accessibility test (once)
//	cd e2e && go test -v -count=1 .
//
// Needs: Chromium at /usr/bin/chromium (apt-get install chromium; E2E_CHROMIUM
// overrides the path), ports 3000, 3001 and 4000 free (the realm registers
// exactly http://localhost:3000/callback and http://localhost:3001/callback; the
// tests also start the demo API on 4000), and the Keycloak admin account
// admin/admin (the back-channel and refresh tests use the admin REST API and
// change the demo-app client for a few seconds, restoring it afterwards).
//
// The same tests run against the containers of docker compose with
// E2E_TARGET=compose (the app, app2, the API and Keycloak that "docker compose
// up" runs; the tests start nothing and follow the containers' logs), and
// TestComposeScale against the scale profile with E2E_TARGET=compose-scale:
// scripts/test-compose.sh starts each stack and runs them (compose_test.go).
//
// Without Keycloak or Chromium the tests skip, naming what to start; with
// CI=true they fail instead, because CI must have set both up (.ci/run).
//
// Every step writes a PNG screenshot, and the app's log goes to app.log, in
// E2E_ARTIFACTS (default e2e/artifacts/, git-ignored).
package e2e
