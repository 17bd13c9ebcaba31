package store

import (
	"encoding/binary"
	"fmt"
	"math"
)

// EncodeEmbedding packs e as little-endian float32s, a layout that any
// language can read back and that keeps every bit, NaN payloads included.
// An empty embedding encodes as an empty, non-nil blob, which the driver
// binds as a zero-length BLOB rather than NULL.
func EncodeEmbedding(e []float32) []byte {
	b := make([]byte, 0, 4*len(e))
	for _, v := range e {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

// DecodeEmbedding reverses EncodeEmbedding. Both backends store embeddings
// this way.
func DecodeEmbedding(b []byte) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("embedding blob of %d bytes is not a whole number of float32s", len(b))
	}
	e := make([]float32, len(b)/4)
	for i := range e {
		e[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return e, nil
}
