// Package web owns the browser-facing files the server embeds: the session
// demo page at /, the batch demo page, and the browser SDK under /sdk/. It
// holds no Go logic beyond embedding them.
package web

import "embed"

// Files are served as they are: index.html (the demo page), batch.html,
// their scripts and stylesheets in assets/ (never inline, so that the pages'
// Content-Security-Policy needs no 'unsafe-inline'), and sdk/ (livenessd.js,
// its TypeScript declarations and stylesheet).
//
//go:embed index.html batch.html assets sdk/livenessd.js sdk/livenessd.d.ts sdk/livenessd.css
var Files embed.FS
