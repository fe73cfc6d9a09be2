package main

import (
	"flag"
	"io"
	"os"
	"testing"
)

// TestEcho runs the program and checks what it prints.
func TestEcho(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// main defines its flags on a fresh command line of no arguments.
	stdout, args, cmdline := os.Stdout, os.Args, flag.CommandLine
	os.Stdout, os.Args = w, []string{"echo"}
	flag.CommandLine = flag.NewFlagSet("echo", flag.ExitOnError)
	defer func() { os.Stdout, os.Args, flag.CommandLine = stdout, args, cmdline }()
	main()
	w.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if want := "hello, quince\n"; string(got) != want {
		t.Errorf("echo printed %q, want %q", got, want)
	}
}
