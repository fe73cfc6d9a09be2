package main

import (
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
	stdout := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = stdout }()
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
