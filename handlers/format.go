package handlers

import (
	"fmt"
	"time"

	"github.com/authcode-demo/authcode-demo/internal/display"
	"github.com/authcode-demo/authcode-demo/views"
)

// How pages show expiry times and durations (the rest: internal/display).

// expiry shows t as a date and as "in 4 min" / "3 min ago".
func expiry(t time.Time, now time.Time) views.Expiry {
	if t.IsZero() {
		return views.Expiry{At: "unknown", Relative: "no expiry given"}
	}
	d := t.Sub(now).Round(time.Second)
	e := views.Expiry{At: display.Time(t), Expired: d <= 0}
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
