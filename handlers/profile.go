package handlers

import (
	"net/http"
	"slices"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/display"
	"github.com/authcode-demo/authcode-demo/internal/session"
	"github.com/authcode-demo/authcode-demo/views"
)

// handleProfile shows the logged-in user's claims, roles and token times.
// requireLogin and keepTokensFresh have run, so the user is in the context.
func (app *App) handleProfile(w http.ResponseWriter, r *http.Request) {
	u, _ := userFrom(r)
	v := profileView(u, app.now())
	v.Nav = app.navFor(u, true)
	app.render(w, r, http.StatusOK, views.Profile(v))
}

// profileView shapes the session's user for display.
func profileView(u session.User, now time.Time) views.ProfileView {
	v := views.ProfileView{
		Name:              u.Claims.Name,
		PreferredUsername: u.Claims.PreferredUsername,
		Email:             u.Claims.Email,
		EmailVerified:     u.Claims.EmailVerified,
		Subject:           u.Claims.Subject,
		SessionID:         u.Claims.SessionID,
		RealmRoles:        u.Claims.RealmRoles,
		LoggedInAt:        display.Time(u.LoggedInAt),
		IDTokenExpiry:     expiry(u.Tokens.IDExpiry, now),
		AccessTokenExpiry: expiry(u.Tokens.AccessExpiry, now),
		HasRefreshToken:   u.Tokens.RefreshToken != "",
		UserInfoJSON:      string(u.UserInfo), // as it came: no work per page view
	}
	for client, roles := range u.Claims.ClientRoles {
		v.ClientRoles = append(v.ClientRoles, views.ClientRoles{Client: client, Roles: roles})
	}
	slices.SortFunc(v.ClientRoles, func(a, b views.ClientRoles) int {
		if a.Client < b.Client {
			return -1
		}
		if a.Client > b.Client {
			return 1
		}
		return 0
	})
	return v
}
