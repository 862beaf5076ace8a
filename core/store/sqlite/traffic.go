package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"strings"
	"sync"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
)

const exchangeColumns = `id, started_at, api, consumer, method, status, url, detail`

// exchangeColumnCount is the number of columns in exchangeColumns.
const exchangeColumnCount = 8

// insertChunk is the most rows one INSERT statement carries.
const insertChunk = 64

// insertSizes is the number of prepared INSERT statements a Store keeps: one for each power
// of two from 1 to insertChunk rows.
const insertSizes = 7

// insertSQL returns an INSERT of n rows.
func insertSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT OR FAIL INTO exchanges (` + exchangeColumns + `) VALUES `)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(?,?,?,?,?,?,?,?)`)
	}
	return b.String()
}

// appendRow appends the column values of x, in exchangeColumns order, to args. The detail
// is encoded onto buf, whose grown form is returned; args keep sub-slices of it, so its
// bytes must not be overwritten until the statement has run.
//
// prev, if not nil, is the exchange whose row args end with: values x shares with it reuse
// that row's arguments, as converting a string or a large integer to an interface
// allocates, and the API, method, status and URL of consecutive exchanges often repeat.
func appendRow(args []any, buf []byte, x, prev *model.Exchange) ([]any, []byte, error) {
	start := len(buf)
	buf, err := appendDetail(buf, x)
	if err != nil {
		return nil, nil, fmt.Errorf("exchange %s: %w", x.ID, err)
	}
	var api, consumer, method, status, url any
	if prev != nil {
		p := args[len(args)-exchangeColumnCount:]
		if x.API == prev.API {
			api = p[2]
		}
		if x.Consumer == prev.Consumer {
			consumer = p[3]
		}
		if x.Method == prev.Method {
			method = p[4]
		}
		if x.Status == prev.Status {
			status = p[5]
		}
		if x.URL == prev.URL {
			url = p[6]
		}
	}
	if api == nil {
		api = x.API
	}
	if consumer == nil {
		consumer = x.Consumer
	}
	if method == nil {
		method = x.Method
	}
	if status == nil {
		// int64, not int: the driver takes int64 and database/sql converts an int by reflection.
		status = int64(x.Status)
	}
	if url == nil {
		url = x.URL
	}
	return append(args, x.ID, toMicros(x.StartedAt), api, consumer, method, status, url,
		buf[start:len(buf):len(buf)]), buf, nil
}

// inserter is what AppendExchanges keeps from one batch to the next: its INSERT statements,
// prepared once per writer connection instead of once per batch (parsing a 512-parameter
// statement cost about as much as binding its arguments), and its argument and encoding
// buffers.
//
// It works on the writer's driver connection directly (sql.Conn.Raw): through database/sql
// every statement execution allocated and converted a fresh copy of its 512 arguments.
type inserter struct {
	// mu serializes AppendExchanges, whose transactions the one writer connection
	// serializes anyway, and guards the fields below.
	mu sync.Mutex
	// conn is the driver connection the statements were prepared on.
	conn any
	// stmts[i] inserts 1<<i rows; nil until first needed.
	stmts [insertSizes]driver.Stmt
	args  []any
	nvs   []driver.NamedValue
	buf   []byte
}

// rawConn is what the inserter needs of a driver connection; modernc.org/sqlite's has it.
type rawConn interface {
	driver.ConnBeginTx
	driver.ConnPrepareContext
}

// maxKeptBuf is the largest encoding buffer an inserter keeps for the next batch; a chunk of
// exchanges with large bodies may need more, once.
const maxKeptBuf = 1 << 20

// chunkSize is the row count of the next INSERT for rest rows still to store: insertChunk,
// or else the largest power of two not above rest, so that every chunk has a prepared
// statement. It returns the statement's index in inserter.stmts too.
func chunkSize(rest int) (n, idx int) {
	idx = min(bits.Len(uint(rest))-1, insertSizes-1)
	return 1 << idx, idx
}

// stmt returns the prepared statement at idx for connection c, preparing it if needed.
func (ins *inserter) stmt(ctx context.Context, c rawConn, idx int) (driver.StmtExecContext, error) {
	if st := ins.stmts[idx]; st != nil {
		return st.(driver.StmtExecContext), nil
	}
	st, err := c.PrepareContext(ctx, insertSQL(1<<idx))
	if err != nil {
		return nil, fmt.Errorf("preparing insert: %w", err)
	}
	se, ok := st.(driver.StmtExecContext)
	if !ok {
		st.Close()
		return nil, errors.New("preparing insert: the driver's statement has no ExecContext")
	}
	ins.stmts[idx] = st
	return se, nil
}

// closeStmts closes the prepared statements. The caller holds the connection they were
// prepared on (or it is being discarded).
func (ins *inserter) closeStmts() error {
	var errs []error
	for i, st := range ins.stmts {
		if st != nil {
			errs = append(errs, st.Close())
			ins.stmts[i] = nil
		}
	}
	ins.conn = nil
	return errors.Join(errs...)
}

// close closes the prepared statements on the writer w, before w is closed: SQLite keeps
// a connection with unfinalized statements open.
func (ins *inserter) close(w *sql.DB) error {
	ins.mu.Lock()
	defer ins.mu.Unlock()
	if ins.conn == nil {
		return nil
	}
	conn, err := w.Conn(context.Background())
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		if dc != ins.conn {
			return nil // prepared on a connection since discarded
		}
		return ins.closeStmts()
	})
}

// AppendExchanges stores a batch of exchanges in one transaction: either all are stored or,
// on any error, none. An ID that is already stored or repeated in the batch is an error
// wrapping store.ErrConflict. An empty batch does nothing.
func (s *Store) AppendExchanges(ctx context.Context, xs []*model.Exchange) error {
	if len(xs) == 0 {
		return nil
	}
	for i, x := range xs {
		if x == nil {
			return fmt.Errorf("appending exchanges: exchange %d is nil", i)
		}
		if x.ID == "" {
			return fmt.Errorf("appending exchanges: exchange %d has no ID", i)
		}
	}
	ins := &s.ins
	ins.mu.Lock()
	defer ins.mu.Unlock()
	conn, err := s.w.Conn(ctx)
	if err == nil {
		err = conn.Raw(func(dc any) error { return ins.append(ctx, dc, xs) })
		conn.Close()
	}
	if err != nil {
		return fmt.Errorf("appending %d exchanges: %w", len(xs), err)
	}
	if s.ckpt != nil {
		var n int64
		for _, x := range xs {
			n += int64(len(x.RequestBody) + len(x.ResponseBody) + len(x.URL) + 256)
		}
		s.ckpt.note(walPage + n)
	}
	return nil
}

// append stores xs in one IMMEDIATE transaction on the driver connection dc.
func (ins *inserter) append(ctx context.Context, dc any, xs []*model.Exchange) (err error) {
	c, ok := dc.(rawConn)
	if !ok {
		return fmt.Errorf("the driver's connection (%T) cannot begin transactions and prepare statements", dc)
	}
	if ins.conn != dc {
		// Statements belong to their connection; the old one's was discarded.
		ins.stmts = [insertSizes]driver.Stmt{}
		ins.conn = dc
	}
	defer func() {
		if p := recover(); p != nil {
			// database/sql discards a connection whose Raw function panicked: close the
			// statements first, or SQLite would keep it open.
			_ = ins.closeStmts()
			panic(p)
		}
	}()
	if ins.args == nil {
		ins.args = make([]any, 0, insertChunk*exchangeColumnCount)
		ins.nvs = make([]driver.NamedValue, insertChunk*exchangeColumnCount)
		for i := range ins.nvs {
			ins.nvs[i].Ordinal = i + 1
		}
	}
	defer func() {
		// Let the exchanges' strings be collected, and do not keep a buffer grown for
		// large bodies.
		clear(ins.args[:cap(ins.args)])
		for i := range ins.nvs {
			ins.nvs[i].Value = nil
		}
		if cap(ins.buf) > maxKeptBuf {
			ins.buf = nil
		}
	}()

	tx, err := c.BeginTx(ctx, driver.TxOptions{})
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	// The statements run with a context that is never cancelled: given one that can be, the
	// driver starts a goroutine per statement to interrupt it. Nothing inside the transaction
	// waits for a lock (BEGIN IMMEDIATE took the write lock), so ctx is instead checked
	// before each statement, and COMMIT still ends if ctx does.
	execCtx := context.WithoutCancel(ctx)
	// Rows go in by multi-row INSERTs of up to insertChunk rows: each statement execution
	// has a fixed cost that one row per statement pays again and again.
	for start := 0; start < len(xs); {
		if err := ctx.Err(); err != nil {
			return err
		}
		size, idx := chunkSize(len(xs) - start)
		chunk := xs[start : start+size]
		start += size
		st, err := ins.stmt(ctx, c, idx)
		if err != nil {
			return err
		}
		// The driver copies the arguments when it binds them, so the buffers are reused
		// as soon as the statement has run.
		args, buf := ins.args[:0], ins.buf[:0]
		var prev *model.Exchange
		for _, x := range chunk {
			if args, buf, err = appendRow(args, buf, x, prev); err != nil {
				return err
			}
			prev = x
		}
		ins.args, ins.buf = args, buf
		nvs := ins.nvs[:len(args)]
		for i, v := range args {
			nvs[i].Value = v
		}
		if _, err := st.ExecContext(execCtx, nvs); err != nil {
			return wrapWrite(fmt.Sprintf("storing exchanges %s to %s", chunk[0].ID, chunk[len(chunk)-1].ID), err)
		}
		if start < len(xs) {
			// The writer shares the CPUs with the requests it records: let those waiting
			// for one run between statements, not after the whole batch.
			runtime.Gosched()
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// ListExchanges returns the exchanges matching f, newest (highest ID) first.
func (s *Store) ListExchanges(ctx context.Context, f store.TrafficFilter) ([]*model.Exchange, error) {
	where, args := trafficWhere(f)
	q := `SELECT ` + exchangeColumns + ` FROM exchanges` + where + ` ORDER BY id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing exchanges: %w", err)
	}
	defer rows.Close()
	var out []*model.Exchange
	for rows.Next() {
		x, err := scanExchange(rows)
		if err != nil {
			return nil, fmt.Errorf("listing exchanges: %w", err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing exchanges: %w", err)
	}
	return out, nil
}

// GetExchange returns the exchange with id, or an error wrapping store.ErrNotFound.
func (s *Store) GetExchange(ctx context.Context, id string) (*model.Exchange, error) {
	x, err := scanExchange(s.r.QueryRowContext(ctx, `SELECT `+exchangeColumns+` FROM exchanges WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("getting exchange %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("getting exchange %q: %w", id, err)
	}
	return x, nil
}

// CountExchanges returns how many exchanges match f; f.Limit is ignored.
func (s *Store) CountExchanges(ctx context.Context, f store.TrafficFilter) (int, error) {
	where, args := trafficWhere(f)
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM exchanges`+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting exchanges: %w", err)
	}
	return n, nil
}

// DeleteExchanges removes the exchanges that ListExchanges(f) would return (so a Limit
// removes only the newest Limit matches) and returns how many were removed.
func (s *Store) DeleteExchanges(ctx context.Context, f store.TrafficFilter) (int, error) {
	where, args := trafficWhere(f)
	q := `DELETE FROM exchanges` + where
	if f.Limit > 0 {
		q = `DELETE FROM exchanges WHERE id IN (SELECT id FROM exchanges` + where + ` ORDER BY id DESC LIMIT ?)`
		args = append(args, f.Limit)
	}
	var n int64
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		// Let readers following the stored order (ExchangesStoredAfter) see the deletion.
		_, err = tx.ExecContext(ctx, `INSERT INTO exchange_deletions (floor) SELECT coalesce(max(rowid), 0) FROM exchanges`)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("deleting exchanges: %w", err)
	}
	return int(n), nil
}

// TrafficPosition returns the rowid of the exchange stored last (rowids grow in commit
// order: SQLite runs one write transaction at a time) and the number of deletions so far.
func (s *Store) TrafficPosition(ctx context.Context) (store.TrafficPosition, error) {
	var p store.TrafficPosition
	err := s.r.QueryRowContext(ctx, `SELECT (SELECT coalesce(max(rowid), 0) FROM exchanges),
		(SELECT coalesce(max(seq), 0) FROM exchange_deletions)`).Scan(&p.Row, &p.Deletions)
	if err != nil {
		return store.TrafficPosition{}, fmt.Errorf("reading the traffic position: %w", err)
	}
	return p, nil
}

// ExchangesStoredAfter returns up to limit exchanges with a rowid above p's, by rowid. If
// exchanges were deleted since p was taken, it starts from the lowest floor those
// deletions left (migration 0007), above which every row was stored after them.
func (s *Store) ExchangesStoredAfter(ctx context.Context, p store.TrafficPosition, limit int) ([]*model.Exchange, store.TrafficPosition, error) {
	if limit <= 0 {
		return nil, p, fmt.Errorf("listing exchanges stored after %d: limit %d is not positive", p.Row, limit)
	}
	var out []*model.Exchange
	next := p
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var floor sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT min(floor), coalesce(max(seq), ?) FROM exchange_deletions WHERE seq > ?`,
			p.Deletions, p.Deletions).Scan(&floor, &next.Deletions); err != nil {
			return err
		}
		if floor.Valid && floor.Int64 < next.Row {
			next.Row = floor.Int64
		}
		rows, err := tx.QueryContext(ctx, `SELECT rowid, `+exchangeColumns+` FROM exchanges WHERE rowid > ? ORDER BY rowid LIMIT ?`, next.Row, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			x, err := scanExchange(rowidScanner{rows, &next.Row})
			if err != nil {
				return err
			}
			out = append(out, x)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, p, fmt.Errorf("listing exchanges stored after %d: %w", p.Row, err)
	}
	return out, next, nil
}

// rowidScanner scans a row whose first column is a rowid into *pos and the rest as the
// scanner's caller asks.
type rowidScanner struct {
	rows *sql.Rows
	pos  *int64
}

// Scan scans the rowid, then the columns into dest.
func (r rowidScanner) Scan(dest ...any) error {
	return r.rows.Scan(append([]any{r.pos}, dest...)...)
}

// trafficWhere turns f (without Limit) into a WHERE clause ("" for the zero filter) and its arguments.
func trafficWhere(f store.TrafficFilter) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, arg any) {
		conds = append(conds, cond)
		args = append(args, arg)
	}
	if f.API != "" {
		add(`api = ?`, f.API)
	}
	if f.Method != "" {
		add(`upper(method) = ?`, strings.ToUpper(f.Method))
	}
	if f.Consumer != "" {
		add(`consumer = ?`, f.Consumer)
	}
	if f.StatusMin != 0 {
		add(`status >= ?`, f.StatusMin)
	}
	if f.StatusMax != 0 {
		add(`status <= ?`, f.StatusMax)
	}
	if f.PathContains != "" {
		add(`instr(url, ?) > 0`, f.PathContains)
	}
	if !f.Since.IsZero() {
		// Stored times are whole microseconds: round Since up so that a stored time is kept
		// exactly when it is not before Since.
		us := toMicros(f.Since)
		if f.Since.Nanosecond()%1000 != 0 {
			us++
		}
		add(`started_at >= ?`, us)
	}
	if f.BeforeID != "" {
		add(`id < ?`, f.BeforeID)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return ` WHERE ` + strings.Join(conds, ` AND `), args
}

func scanExchange(row scanner) (*model.Exchange, error) {
	var (
		x       model.Exchange
		started int64
		detail  []byte
	)
	if err := row.Scan(&x.ID, &started, &x.API, &x.Consumer, &x.Method, &x.Status, &x.URL, &detail); err != nil {
		return nil, err
	}
	x.StartedAt = fromMicros(started)
	if err := decodeDetail(detail, &x); err != nil {
		return nil, fmt.Errorf("decoding exchange %s: %w", x.ID, err)
	}
	return &x, nil
}
