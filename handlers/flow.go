package handlers

import (
	"net/http"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/auth"
	"github.com/authcode-demo/authcode-demo/internal/inspector"
	"github.com/authcode-demo/authcode-demo/internal/session"
	"github.com/authcode-demo/authcode-demo/views"
)

// The flow inspector (GET /flow): the user's own most recent login, step by
// step, as it really happened. The callback keeps a record of it beside the
// session (not in it: only this page reads it); the page shapes that record
// for display (flow_view.go).

// handleFlow shows the record of the user's login. requireLogin has run, so
// the user is in the context.
func (app *App) handleFlow(w http.ResponseWriter, r *http.Request) {
	u, _ := userFrom(r)
	v := views.FlowView{Nav: navFor(u)}
	data, ok, err := app.sessions.Attachment(r.Context())
	if err != nil { // the session store (Redis) failed: a 503 page
		app.sessionStoreError(w, r, err)
		return
	}
	if ok {
		if record, err := inspector.Decode(data); err == nil {
			v = flowView(u, record)
		}
	}
	app.render(w, r, http.StatusOK, views.Flow(v))
}

// keepFlowRecord keeps the record of a login that has just succeeded: what
// the handlers held (the pending login, the callback's parameters), the
// back-channel calls the wire heard, and the checks of the verified ID
// token. A failure only leaves /flow with nothing to show.
func (app *App) keepFlowRecord(r *http.Request, pending session.PendingLogin, query map[string]string,
	receivedAt time.Time, login auth.Login, wire *inspector.Wire) {
	if !app.tokenPages {
		return // TOKEN_PAGES=off: /flow is not served, so nothing is kept for it
	}
	exchanges := wire.Exchanges()
	checkedAt := receivedAt
	if len(exchanges) > 0 {
		checkedAt = exchanges[0].ReceivedAt // right after the token response
	}
	record := inspector.Record{
		AuthorizationURL: pending.AuthURL,
		StartedAt:        pending.StartedAt,
		Callback: inspector.Callback{Code: query["code"], State: query["state"], Issuer: query["iss"],
			ReceivedAt: receivedAt},
		Pushed:    inspector.DecodeExchanges(pending.Pushed),
		Exchanges: exchanges,
		IDToken: inspector.ReportIDToken(login.Tokens.IDToken, inspector.Expected{
			Issuer: app.auth.Issuer(), ClientID: app.auth.ClientID(), Nonce: pending.Nonce,
		}, checkedAt),
	}
	data, err := record.Encode()
	if err == nil {
		err = app.sessions.Attach(r.Context(), data)
	}
	if err != nil {
		app.logger.Warn("login record for /flow not kept", "error", err.Error(), "request_id", requestIDFrom(r))
	}
}

// pushedRecord is what the wire heard while /login ran: the pushed
// authorization request (RFC 9126) and its response, or "" without one. It
// waits with the pending login until the callback puts it in the record.
func (app *App) pushedRecord(wire *inspector.Wire) string {
	exchanges := wire.Exchanges()
	if len(exchanges) == 0 || !app.tokenPages {
		return ""
	}
	return inspector.EncodeExchanges(exchanges)
}
