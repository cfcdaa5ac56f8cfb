package handlers

// The attack lab's ID token bench (GET and POST /lab/tamper, routes.go):
// the learner's own ID token, edited and signed as they choose, judged by
// auth.Client.CheckIDToken, the checks a login makes.

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/display"
	"github.com/authcode-demo/authcode-demo/internal/lab"
	"github.com/authcode-demo/authcode-demo/views"
)

// handleLabTamperForm shows the learner's ID token as JSON to edit.
func (app *App) handleLabTamperForm(w http.ResponseWriter, r *http.Request) {
	u, _ := userFrom(r)
	header, claims, err := lab.SplitJWT(u.Tokens.IDToken)
	if err != nil {
		app.failf(w, r, errConflict, problem{}, "lab: the session's ID token cannot be read: %v", err)
		return
	}
	app.render(w, r, http.StatusOK, views.LabTamper(app.tamperView(r, header, claims, lab.KeepSignature, false)))
}

// handleLabTamper puts the edited token together and checks it as a login
// would: with the nonce the learner's login sent (or another login's) and
// the learner's access token (for at_hash). The status is the one a
// login refused this way gets (400), or 200 when every check passed.
func (app *App) handleLabTamper(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		app.failf(w, r, errBadRequest, problem{}, "lab: unreadable tamper form")
		return
	}
	u, _ := userFrom(r)
	header, claims := r.PostFormValue("header"), r.PostFormValue("claims")
	sig, otherNonce := lab.Signature(r.PostFormValue("signature")), r.PostFormValue("nonce") == "other"
	view := app.tamperView(r, header, claims, sig, otherNonce)

	token, err := app.lab.Forge(u.Tokens.IDToken, header, claims, sig)
	if err != nil {
		if !errors.Is(err, lab.ErrBadEdit) {
			app.fail(w, r, err, problem{})
			return
		}
		view.Problem = err.Error() + "."
		app.render(w, r, http.StatusBadRequest, views.LabTamper(view))
		return
	}
	// The nonce this login sent: the one the session's ID token carries,
	// checked when the learner logged in (Core 3.1.3.7 step 11).
	nonce := ""
	if d, err := display.DecodeJWT(u.Tokens.IDToken); err == nil {
		nonce = d.Claim("nonce")
	}
	if otherNonce {
		nonce = anotherLoginsNonce()
	}

	passed, err := app.auth.CheckIDToken(r.Context(), token, nonce, u.Tokens.AccessToken)
	result := &views.LabTamperResult{Token: token, Status: http.StatusOK}
	switch {
	case err == nil:
		result.Passed, result.Checks = true, passed
	case errors.Is(err, auth.ErrRejected):
		result.Status, result.Reason = statusOf(err), err.Error()
		result.Check, result.Because = lab.RefusingCheck(err.Error()), "."
		for _, c := range auth.IDTokenChecks() {
			if c.Name == result.Check {
				result.Because = ": it stops " + c.Stops + "."
				result.Section = views.SpecRef{Name: c.Section, URL: c.URL}
			}
		}
		if result.Check == "" {
			result.Check = "(none named: the token could not be read)"
		}
	default:
		app.fail(w, r, err, problem{}) // the provider's keys could not be fetched (502, 503)
		return
	}
	app.logger.Info("lab: tampered ID token checked", "passed", result.Passed, "check", result.Check, "request_id", requestIDFrom(r))
	view.Result = result
	app.render(w, r, result.Status, views.LabTamper(view))
}

func (app *App) tamperView(r *http.Request, header, claims string, sig lab.Signature, otherNonce bool) views.LabTamperView {
	labels := map[lab.Signature]string{
		lab.KeepSignature: "keep Keycloak's signature",
		lab.AlgNone:       `"alg": "none", no signature (RFC 7519 section 6)`,
		lab.LabKey:        "sign with RS256 and a key the lab made (not Keycloak's)",
	}
	v := views.LabTamperView{Nav: app.nav(r), Header: header, Claims: claims, Signature: string(sig), OtherNonce: otherNonce}
	for _, s := range lab.Signatures() {
		v.Signatures = append(v.Signatures, views.LabChoice{Value: string(s), Label: labels[s]})
	}
	return v
}

// anotherLoginsNonce is a nonce no login of this browser sent.
func anotherLoginsNonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
