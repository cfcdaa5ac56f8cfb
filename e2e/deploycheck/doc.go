// Package deploycheck has no code of its own. Its tests check, without Docker
// and without a running Keycloak, that the deployment files agree with each
// other and with the app's configuration contract:
//
//   - docker-compose.yml (loaded with compose-go, as docker compose would),
//   - scripts/keycloak.sh (the Keycloak version and back-channel URL it uses),
//   - keycloak/demo-realm.json (client, users, roles, mapper),
//   - config.example.env (the values a local run of the app uses).
//
// A mismatch between them shows up only at login time otherwise ("Invalid
// redirect uri", "unauthorized_client", a missing claim), so it is cheaper to
// catch it here.
package deploycheck
