package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

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
		Nav:               navFor(u),
		Name:              u.Claims.Name,
		PreferredUsername: u.Claims.PreferredUsername,
		Email:             u.Claims.Email,
		EmailVerified:     u.Claims.EmailVerified,
		Subject:           u.Claims.Subject,
		SessionID:         u.Claims.SessionID,
		RealmRoles:        u.Claims.RealmRoles,
		LoggedInAt:        formatTime(u.LoggedInAt),
		IDTokenExpiry:     expiry(u.Tokens.IDExpiry, now),
		AccessTokenExpiry: expiry(u.Tokens.AccessExpiry, now),
		HasRefreshToken:   u.Tokens.RefreshToken != "",
		UserInfoJSON:      prettyJSON(u.UserInfo),
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

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// expiry shows t as a date and as "in 4 min" / "3 min ago".
func expiry(t time.Time, now time.Time) views.Expiry {
	if t.IsZero() {
		return views.Expiry{At: "unknown", Relative: "no expiry given"}
	}
	d := t.Sub(now).Round(time.Second)
	e := views.Expiry{At: formatTime(t), Expired: d <= 0}
	if d > 0 {
		e.Relative = "in " + humanDuration(d)
	} else {
		e.Relative = humanDuration(-d) + " ago"
	}
	return e
}

func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	default:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	}
}

func prettyJSON(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}
