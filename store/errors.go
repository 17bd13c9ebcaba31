package store

import "errors"

// Outcomes a Store reports as errors that callers must tell apart. Stores
// wrap them with context, so test them with errors.Is.
var (
	ErrGalleryNotFound = errors.New("face gallery not found")
	ErrGalleryExists   = errors.New("face gallery already exists")
	ErrFaceNotFound    = errors.New("user not enrolled in the face gallery")
	ErrFaceExists      = errors.New("user already enrolled in the face gallery")

	ErrSessionNotFound    = errors.New("session not found")
	ErrSessionExists      = errors.New("session already exists")
	ErrSessionFinished    = errors.New("session already finished")
	ErrAuditImageNotFound = errors.New("audit image not found")

	// ErrStorageFull means a write failed for want of space (a full disk, or
	// the configured store.max_bytes): reads and deletes still work.
	ErrStorageFull = errors.New("storage full")
)
