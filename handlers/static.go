package handlers

import (
	"net/http"

	"github.com/authcode-demo/authcode-demo/static"
)

// staticFiles serves the embedded stylesheet and images. They hold nothing
// personal, so browsers may cache them.
func (app *App) staticFiles() http.Handler {
	files := http.StripPrefix("/static/", http.FileServerFS(static.Files))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}
