package handlers

// The attack lab's buttons (routes.go, /lab): each plays the attacker's
// side with internal/lab, then sends the learner's browser, the victim, on
// to the target, whose own routes decide. Nothing here checks anything on
// the app's behalf: the refusals come from the app's callback, the
// provider and the demo API.

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/authcode-demo/authcode-demo/internal/apiclient"
	"github.com/authcode-demo/authcode-demo/internal/lab"
	"github.com/authcode-demo/authcode-demo/views"
)

// labTarget reads the form's target: the seed app's origin, or this app's.
func (app *App) labTarget(r *http.Request) (name, base string, ok bool) {
	s := app.lab.Settings()
	switch r.PostFormValue("target") {
	case "seed":
		return "seed", s.SeedURL, true
	case "app":
		return "app", origin(s.AppURL), true
	}
	return "", "", false
}

// handleLabLoginCSRF: mallory logs in at the target with a browser of her
// own and keeps her code; the learner's browser is sent to the target's
// callback with it (RFC 6749 section 10.12).
func (app *App) handleLabLoginCSRF(w http.ResponseWriter, r *http.Request) {
	target, base, ok := app.labTarget(r)
	if !ok {
		app.failf(w, r, errBadRequest, problem{}, "lab: unknown target")
		return
	}
	callback, err := app.lab.CodeFrom(r.Context(), base+"/login", base+"/callback", app.lab.Settings().Mallory)
	if err != nil {
		app.labAttackerFailed(w, r, err)
		return
	}
	app.deliverToVictim(w, r, "login CSRF", target, callback)
}

// handleLabCodeInjection: a code from mallory's login (the stolen code) is
// injected into a login the learner's browser started, with the learner's
// own state (RFC 9700 section 4.5). The seed starts no login (it has no
// state): there the code goes to its callback as it is.
func (app *App) handleLabCodeInjection(w http.ResponseWriter, r *http.Request) {
	target, base, ok := app.labTarget(r)
	if !ok {
		app.failf(w, r, errBadRequest, problem{}, "lab: unknown target")
		return
	}
	callback, err := app.lab.CodeFrom(r.Context(), base+"/login", base+"/callback", app.lab.Settings().Mallory)
	if err != nil {
		app.labAttackerFailed(w, r, err)
		return
	}
	if target == "app" {
		state, ok := app.labStartVictimLogin(w, r)
		if !ok {
			return
		}
		q := callback.Query()
		q.Set("state", state) // the learner's own: the state check passes
		callback.RawQuery = q.Encode()
	}
	app.deliverToVictim(w, r, "code injection", target, callback)
}

// handleLabMixUp: mallory's own provider (the realm "attacker") sends the
// browser to the target's callback with its code and its iss (RFC 9207);
// at this app, in answer to a login the learner's browser started.
func (app *App) handleLabMixUp(w http.ResponseWriter, r *http.Request) {
	target, base, ok := app.labTarget(r)
	if !ok {
		app.failf(w, r, errBadRequest, problem{}, "lab: unknown target")
		return
	}
	state := ""
	if target == "app" {
		if state, ok = app.labStartVictimLogin(w, r); !ok {
			return
		}
	}
	callback, err := app.lab.AttackerCode(r.Context(), base+"/callback", state)
	if err != nil {
		app.labAttackerFailed(w, r, err)
		return
	}
	app.deliverToVictim(w, r, "mix-up", target, callback)
}

// labStartVictimLogin starts a login in the learner's session exactly as
// GET /login does (startLogin) and returns its state: the value the
// callback must bring back (RFC 6749 section 4.1.2), which an attacker who
// injects a code into this browser's callback would have to use.
func (app *App) labStartVictimLogin(w http.ResponseWriter, r *http.Request) (string, bool) {
	_, state, err := app.startLogin(r.Context(), "/lab")
	if err != nil {
		app.fail(w, r, err, problem{title: "The login could not start", retryURL: "/lab", retryText: "Back to the lab"})
		return "", false
	}
	return state, true
}

// deliverToVictim sends the learner's browser to the target's callback
// with what the attacker got. The URL holds a code: it is not logged.
func (app *App) deliverToVictim(w http.ResponseWriter, r *http.Request, attack, target string, callback *url.URL) {
	app.logger.Info("lab: sending the browser to the target's callback with mallory's code",
		"attack", attack, "target", target, "request_id", requestIDFrom(r))
	http.Redirect(w, r, callback.String(), http.StatusSeeOther)
}

// labAttackerFailed is the page of an attack the lab could not play.
func (app *App) labAttackerFailed(w http.ResponseWriter, r *http.Request, err error) {
	message := "The lab's attacker (mallory) could not get a code, so nothing was sent to your browser. Is Keycloak running " +
		"with mallory in the realms demo and attacker (keycloak/demo-realm.json, keycloak/attacker-realm.json), and the seed app " +
		"(scripts/demo.sh)? The app's log has the reason."
	if errors.Is(err, lab.ErrNotLoopback) {
		message = "The lab only connects to this machine, and what this attack needs is elsewhere for this app (under docker " +
			"compose the app reaches Keycloak as keycloak:8080). Run the lab with scripts/demo.sh."
	}
	app.fail(w, r, fmt.Errorf("%w: lab: %v", errUpstream, err), problem{
		title: "The lab could not play the attacker", message: message, retryURL: "/lab", retryText: "Back to the lab",
	})
}

// handleLabStolenSeedToken reads the seed app's access token out of its
// session cookie (the browser sends it to this app too: cookies are not
// port-specific) and presents it at the demo API as a bearer token.
func (app *App) handleLabStolenSeedToken(w http.ResponseWriter, r *http.Request) {
	cookie, err := r.Cookie(lab.SeedCookieName)
	token, ok := "", false
	if err == nil {
		token, ok = lab.SeedAccessToken(cookie.Value)
	}
	if !ok {
		app.failf(w, r, errConflict, problem{
			title:    "No seed app session in this browser",
			message:  "Log in at the seed app first (" + app.lab.Settings().SeedURL + "): the lab steals the access token out of its cookie.",
			retryURL: "/lab#attack-stolen-dpop-token", retryText: "Back to the lab",
		}, "lab: no seed_session cookie with an access token")
		return
	}
	app.labReplay(w, r, "seed", "This is the seed app's access token, read out of its session cookie (signed, not encrypted).",
		token, []lab.Replay{lab.AsBearer})
}

// handleLabStolenAppToken presents the learner's own DPoP-bound access
// token at the demo API from the lab's server, without the app's key:
// as a bearer token, with the DPoP scheme and no proof, and with a proof
// signed by another key.
func (app *App) handleLabStolenAppToken(w http.ResponseWriter, r *http.Request) {
	u, _ := userFrom(r)
	if !lab.DPoPBound(u.Tokens.AccessToken) {
		app.failf(w, r, errConflict, problem{
			title:    "This instance's tokens are bearer tokens",
			message:  "OIDC_DPOP is off here, so there is no bound token to steal. The instance with DPoP on has a lab of its own: " + app.lab.Settings().DPoPLabURL,
			retryURL: "/lab#attack-stolen-dpop-token", retryText: "Back to the lab",
		}, "lab: the access token is not DPoP-bound")
		return
	}
	app.labReplay(w, r, "app", "This is your own access token at this app, bound to the app's DPoP key (cnf.jkt).",
		u.Tokens.AccessToken, []lab.Replay{lab.AsBearer, lab.AsDPoPWithoutProof, lab.AsDPoPWithOtherKey})
}

// labReplay presents token at the demo API each way and shows the answers.
func (app *App) labReplay(w http.ResponseWriter, r *http.Request, target, whose, token string, ways []lab.Replay) {
	view := views.LabStolenView{Nav: app.nav(r), Target: target, Whose: whose}
	for _, how := range ways {
		ex, err := app.lab.ReplayAtAPI(r.Context(), token, how)
		var unavailable *apiclient.UnavailableError
		if errors.As(err, &unavailable) || errors.Is(err, lab.ErrNoAPI) {
			app.fail(w, r, fmt.Errorf("%w: lab: %v", errUpstream, err), problem{
				title: "The demo API did not answer",
				message: "The lab could not reach the demo API (API_URL) to replay the token. It connects to loopback addresses only: " +
					"under docker compose, where the app reaches the API as api:4000, run the lab with scripts/demo.sh instead.",
				retryURL: "/lab#attack-stolen-dpop-token", retryText: "Back to the lab",
			})
			return
		}
		if err != nil {
			app.fail(w, r, err, problem{})
			return
		}
		view.Replays = append(view.Replays, views.LabReplay{
			How: labReplayNames[how], Authorization: ex.Authorization, DPoPProof: ex.DPoPProof,
			Status: ex.StatusText, WWWAuthenticate: ex.WWWAuthenticate, Body: ex.Body,
		})
		if ex.Status >= 200 && ex.Status < 300 {
			view.Lands = true
		}
		app.logger.Info("lab: stolen access token replayed at the demo API", "target", target, "how", string(how),
			"status", ex.Status, "request_id", requestIDFrom(r))
	}
	app.render(w, r, http.StatusOK, views.LabStolen(view))
}

var labReplayNames = map[lab.Replay]string{
	lab.AsBearer:           "As a bearer token",
	lab.AsDPoPWithoutProof: "With the DPoP scheme, without a proof",
	lab.AsDPoPWithOtherKey: "With a DPoP proof signed by the thief's own key",
}
