package testservice

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// supervisor runs a server under a small shell that stops it (procOptions.signal, then
// waits for it) as soon as its standard input closes, and then removes rmDir when set. The standard
// input is a pipe held by this process, so the server goes away with the test binary
// even when the binary dies without running its cleanups, and a shared server's
// directory goes with it.
const supervisor = `exec 3<&0 </dev/null
"$@" &
pid=$!
(read -r _ <&3; kill -"$GANTRY_TESTSERVICE_SIGNAL" "$pid" 2>/dev/null) &
watch=$!
exec 3<&-
wait "$pid"
status=$?
kill "$watch" 2>/dev/null
if [ -n "$GANTRY_TESTSERVICE_RMDIR" ]; then rm -rf -- "$GANTRY_TESTSERVICE_RMDIR"; fi
exit "$status"
`

// process is one supervised server.
type process struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	log   string        // the file the server's output goes to
	done  chan struct{} // closed when the supervisor has exited
	err   error         // the supervisor's exit error, once done is closed
}

// procOptions says how to start a process.
type procOptions struct {
	// log is the file that receives the server's standard output and error (appended).
	log string
	// cred runs the supervisor and the server as another user; nil keeps ours.
	cred *syscall.Credential
	// dir is the working directory; "" means ours.
	dir string
	// signal stops the server, by name ("INT", "TERM"); "" means TERM. (A background job
	// of a shell starts with SIGINT ignored: only servers that handle it may use INT.)
	signal string
	// rmDir is removed by the supervisor once the server has exited; "" removes nothing.
	rmDir string
}

// startProcess starts argv under the supervisor.
func startProcess(argv []string, opts procOptions) (*process, error) {
	logf, err := os.OpenFile(opts.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the server log: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command("/bin/sh", append([]string{"-c", supervisor, "supervisor"}, argv...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = opts.dir
	sig := opts.signal
	if sig == "" {
		sig = "TERM"
	}
	cmd.Env = append(os.Environ(), "GANTRY_TESTSERVICE_RMDIR="+opts.rmDir, "GANTRY_TESTSERVICE_SIGNAL="+sig)
	// Its own process group: a Ctrl-C on the terminal reaches the test binary, whose exit
	// then stops the server in order, and a stuck server can be killed as a group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: opts.cred}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", argv[0], err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", argv[0], err)
	}
	p := &process{cmd: cmd, stdin: stdin, log: opts.log, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the server has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop asks the server to shut down and waits for it; after timeout the whole process
// group is killed.
func (p *process) stop(timeout time.Duration) error {
	_ = p.stdin.Close()
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
	return errors.New("the server did not stop in time and was killed")
}
