// Package web owns the browser-facing assets the server embeds: the demo
// page at /. It holds no Go logic beyond embedding them.
package web

import _ "embed"

// Index is the demo page: pick photos, give each a face parameter, and see
// the batch verdict of POST /liveness-api/verify-face-liveness.
//
//go:embed index.html
var Index []byte
