package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal and returns its two ends: what the
// program reads and writes as its terminal, and what the test types into
// and reads back from, as a person at a keyboard and screen would.
func openPTY(t *testing.T) (terminal, keyboard *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { slave.Close(); master.Close() })
	return slave, master
}

// TestPasswordFromTerminal: without --password-stdin the password is read
// from the terminal, asked twice, and never echoed: a person typing it sees
// the prompts only, so nobody looking over their shoulder or at a terminal
// log sees the password.
func TestPasswordFromTerminal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	migrate := sesame(t, ctx, "migrate")
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v: %s", err, out)
	}

	terminal, keyboard := openPTY(t)
	cmd := sesame(t, ctx, "user", "add", "carol", "--role", "customer")
	cmd.Dir = migrate.Dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = terminal, terminal, terminal
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var screen bytes.Buffer
	const secret = "violet harbour lamp"
	typeAt := func(prompt string) {
		t.Helper()
		buf := make([]byte, 256)
		for !strings.Contains(screen.String(), prompt) {
			keyboard.SetReadDeadline(time.Now().Add(10 * time.Second))
			n, err := keyboard.Read(buf)
			if err != nil {
				t.Fatalf("waiting for %q: %v (screen so far %q)", prompt, err, screen.String())
			}
			screen.Write(buf[:n])
		}
		// A terminal echoes what is typed before a program turns echo
		// off, whatever the program, and a person answers a prompt some
		// time after it shows: the test waits until the program has turned
		// echo off, and fails if it never does.
		for deadline := time.Now().Add(10 * time.Second); echoing(t, terminal); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("at the prompt %q the terminal still echoes", prompt)
			}
		}
		fmt.Fprint(keyboard, secret+"\n")
	}
	typeAt("New password: ")
	typeAt("Again: ")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("user add: %v (screen %q)", err, screen.String())
	}
	rest := make([]byte, 4096)
	keyboard.SetReadDeadline(time.Now().Add(time.Second))
	if n, _ := keyboard.Read(rest); n > 0 {
		screen.Write(rest[:n])
	}
	if strings.Contains(screen.String(), secret) {
		t.Errorf("the password was echoed to the terminal: %q", screen.String())
	}
	if !strings.Contains(screen.String(), "created user carol") {
		t.Errorf("no word of the new user on the terminal: %q", screen.String())
	}
}

// echoing reports whether terminal echoes what is typed.
func echoing(t *testing.T, terminal *os.File) bool {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(terminal.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag&unix.ECHO != 0
}
