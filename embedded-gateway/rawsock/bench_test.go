//go:build unix

package rawsock

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// echoEnv, when set, makes the test binary an echo server on loopback that prints its
// address and serves until its standard input closes: the other process of
// BenchmarkPingPong.
const echoEnv = "RAWSOCK_ECHO_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(echoEnv) != "" {
		serveEcho()
		return
	}
	os.Exit(m.Run())
}

func serveEcho() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			os.Exit(1)
		}
		go func() {
			defer c.Close()
			_, _ = io.Copy(c, c)
		}()
	}
}

// startEcho runs the echo server in another process and returns its address.
func startEcho(b *testing.B) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), echoEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("echo server: %v", err)
	}
	return strings.TrimSpace(line)
}

// BenchmarkPingPong sends 64 bytes to an echo server in another process and reads them
// back, once per op, from 4 connections at once, through net.Conn and through Conn. It
// reports this process's CPU time and thread switches per round trip: the other process
// waking on each write is what makes a blocking-syscall write expensive (see the package
// doc).
func BenchmarkPingPong(b *testing.B) {
	addr := startEcho(b)
	for _, bc := range []struct {
		name string
		wrap func(net.Conn) io.ReadWriter
	}{
		{"net.Conn", func(c net.Conn) io.ReadWriter { return c }},
		{"rawsock", Wrap},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetParallelism(2) // 4 connections on 2 processors
			before := usage()
			b.RunParallel(func(pb *testing.PB) {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					b.Error(err)
					return
				}
				defer c.Close()
				rw := bc.wrap(c)
				msg := make([]byte, 64)
				for pb.Next() {
					if _, err := rw.Write(msg); err != nil {
						b.Error(err)
						return
					}
					if _, err := io.ReadFull(rw, msg); err != nil {
						b.Error(err)
						return
					}
				}
			})
			after := usage()
			cpu := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
			b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(b.N), "cpu-µs/op")
			switches := (after.Nvcsw + after.Nivcsw) - (before.Nvcsw + before.Nivcsw)
			b.ReportMetric(float64(switches)/float64(b.N), "switches/op")
		})
	}
}

// usage is this process's resource usage so far.
func usage() syscall.Rusage {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru
}
