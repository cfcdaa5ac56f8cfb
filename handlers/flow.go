package handlers

import (
	"net/http"

	"github.com/authcode-demo/authcode-demo/internal/display"
	"github.com/authcode-demo/authcode-demo/internal/inspector"
	"github.com/authcode-demo/authcode-demo/views"
)

// handleFlow is the flow inspector (GET /flow, with the token pages on): the
// user's own login, step by step, as the recorder beside the login and
// callback handlers kept it (internal/inspector).
func (app *App) handleFlow(w http.ResponseWriter, r *http.Request) {
	u, _ := userFrom(r)
	nav := app.navFor(u, true)
	record, ok, err := app.flow.Record(r.Context())
	if err != nil { // the store (Redis) failed: a 503 page
		app.sessionStoreError(w, r, err)
		return
	}
	v := views.FlowView{Nav: nav}
	if ok {
		steps := inspector.Analyze(record, inspector.Expected{Issuer: app.auth.Issuer(), ClientID: app.auth.ClientID()})
		v = flowView(nav, display.Time(u.LoggedInAt), steps)
	}
	app.render(w, r, http.StatusOK, views.Flow(v))
}
