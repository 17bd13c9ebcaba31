package postgres_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/livenessd/livenessd/internal/testkit/pgtest"
	"github.com/livenessd/livenessd/store"
	"github.com/livenessd/livenessd/store/postgres"
	"github.com/livenessd/livenessd/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// backend runs the store contract on databases of a throwaway server.
var backend = storetest.Backend{
	NewDatabase: pgtest.NewDatabase,
	Open:        func(dsn string) (store.Store, error) { return postgres.Open(context.Background(), dsn) },
	Schema: func(t *testing.T, dsn string) []string {
		ctx := storetest.Ctx(t)
		conn, err := pgx.Connect(ctx, dsn)
		storetest.Must(t, err)
		defer conn.Close(ctx)
		rows, err := conn.Query(ctx, `SELECT version, applied_at FROM schema_migrations ORDER BY version`)
		storetest.Must(t, err)
		var out []string
		for rows.Next() {
			var v int
			var at time.Time
			storetest.Must(t, rows.Scan(&v, &at))
			out = append(out, fmt.Sprintf("%d@%d", v, at.UnixMicro()))
		}
		storetest.Must(t, rows.Err())
		return out
	},
}

func TestContract(t *testing.T) { storetest.Run(t, backend) }

// TestHelperProcess is the second process of the contract's multi-process
// tests; it skips unless one of them started it.
func TestHelperProcess(t *testing.T) { storetest.HelperProcess(t, backend) }

// BenchmarkEnrollFace: make bench prints it beside SQLite's.
func BenchmarkEnrollFace(b *testing.B) { storetest.BenchmarkEnroll(b, backend) }
