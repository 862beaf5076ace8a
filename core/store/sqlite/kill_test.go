package sqlite

import (
	"bufio"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/core/model"
	"github.com/gantry-dev/gantry/core/store"
)

// TestKill9Child is the writer process of TestKill9LosesNoCommittedRow: it appends batches
// of exchanges to the database named by GANTRY_KILL9_DB and prints the number committed
// after each, until it is killed.
func TestKill9Child(t *testing.T) {
	path := os.Getenv("GANTRY_KILL9_DB")
	if path == "" {
		t.Skip("only run as the child of TestKill9LosesNoCommittedRow")
	}
	s, err := Open(path, Options{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	r := rand.New(rand.NewSource(1))
	base := time.Now().UTC()
	xs := make([]*model.Exchange, 64)
	for n := 0; ; {
		for i := range xs {
			xs[i] = realisticExchange(r, fmt.Sprintf("01K9%012d", n+i), base.Add(time.Duration(n+i)*time.Millisecond))
		}
		if err := s.AppendExchanges(t.Context(), xs); err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		n += len(xs)
		fmt.Printf("committed %d\n", n)
	}
}

// TestKill9LosesNoCommittedRow kills a process with SIGKILL while it writes captured
// traffic as fast as it can: the database must open cleanly afterwards, pass SQLite's
// integrity check and hold every row whose commit was reported.
func TestKill9LosesNoCommittedRow(t *testing.T) {
	if os.Getenv("GANTRY_KILL9_DB") != "" {
		t.Skip("child")
	}
	path := filepath.Join(t.TempDir(), "workspace.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Child$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GANTRY_KILL9_DB="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	committed := 0
	sc := bufio.NewScanner(out)
	deadline := time.Now().Add(20 * time.Second)
	for committed < 3000 && sc.Scan() {
		line := sc.Text()
		if n, ok := strings.CutPrefix(line, "committed "); ok {
			committed, _ = strconv.Atoi(n)
		} else if strings.HasPrefix(line, "error") {
			t.Fatalf("child: %s", line)
		}
		if time.Now().After(deadline) {
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if committed == 0 {
		t.Fatal("the child committed nothing before it was killed")
	}

	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("reopening after kill -9: %v", err)
	}
	defer s.Close()
	var check string
	if err := s.r.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	n, err := s.CountExchanges(t.Context(), store.TrafficFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if n < committed {
		t.Fatalf("%d exchanges after kill -9, but %d commits were reported", n, committed)
	}
	t.Logf("killed after %d reported commits; %d rows survived", committed, n)
}
