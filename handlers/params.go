package handlers

import "net/url"

// singleValues returns the named query parameters, each at most once.
// A repeated parameter is suspicious (parameter pollution): ok is false.
func singleValues(q url.Values, names ...string) (map[string]string, bool) {
	values := make(map[string]string, len(names))
	for _, name := range names {
		if len(q[name]) > 1 {
			return nil, false
		}
		values[name] = q.Get(name)
	}
	return values, true
}
