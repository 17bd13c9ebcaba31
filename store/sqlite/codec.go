package sqlite

import "time"

// fromMillis converts stored unix milliseconds, written with
// time.Time.UnixMilli, back to a UTC time.
func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
