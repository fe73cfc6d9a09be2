package interop

import (
	"strings"
	"testing"
)

func TestMatrixSections(t *testing.T) {
	var m Matrix
	m.SetNote("B", "note for B")
	m.Add(Result{Section: "B", Client: "x", Server: "y", Case: "c1", Detail: "1"})
	m.Add(Result{Client: "x", Server: "y", Case: "c1", Status: Fail, Detail: "bad"})
	m.Add(Result{Section: "B", Client: "y", Server: "x", Case: "c1", Status: NotApplicable, Detail: "why"})
	// Same cell as the first: replaces it.
	m.Add(Result{Section: "B", Client: "x", Server: "y", Case: "c1"})
	want := "| case | x → y |\n|---|---|\n| c1 | **fail**: bad |\n" +
		"\n## B\n\nnote for B\n\n" +
		"| case | x → y | y → x |\n|---|---|---|\n| c1 | pass | not applicable: why |\n" +
		"\n1 pass, 1 fail, 1 not applicable.\n"
	if got := m.Markdown(); got != want {
		t.Errorf("Markdown() =\n%s\nwant\n%s", got, want)
	}
	if m.Len() != 3 {
		t.Errorf("Len() = %d, want 3", m.Len())
	}
}

// TestMatrixColumnOrder checks that the columns do not depend on the order
// in which the pairs, which run in parallel, finished.
func TestMatrixColumnOrder(t *testing.T) {
	want := "| case | quince → quince | quince → quic-go | quic-go → quince | quince → ngtcp2 | ngtcp2 → quince | chromium → quince |\n"
	pairs := [][2]string{{"chromium", "quince"}, {"quic-go", "quince"}, {"quince", "ngtcp2"}, {"ngtcp2", "quince"}, {"quince", "quince"}, {"quince", "quic-go"}}
	for shift := range pairs {
		var m Matrix
		for i := range pairs {
			p := pairs[(i+shift)%len(pairs)]
			m.Add(Result{Client: p[0], Server: p[1], Case: "c"})
		}
		if got, _, _ := strings.Cut(m.Markdown(), "|---"); got != want {
			t.Errorf("recorded from pair %d on: header\n%s\nwant\n%s", shift, got, want)
		}
	}
}
