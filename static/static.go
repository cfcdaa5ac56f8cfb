// Package static holds the stylesheet and images, embedded in the binary so
// the app works offline and needs no CDN.
package static

import "embed"

// Files is the content served under /static/.
//
//go:embed *.css *.svg
var Files embed.FS
