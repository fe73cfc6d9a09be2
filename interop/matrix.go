package interop

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Status is a case's outcome.
type Status int

const (
	Pass Status = iota
	Fail
	NotApplicable
)

// Result is one cell of the matrix.
type Result struct {
	Client, Server, Case string
	Status               Status
	Detail               string // the reason, for Fail and NotApplicable; figures for Pass
	// Section names the table the result belongs to; "" is the first,
	// unheaded table (the QUIC cases).
	Section string
}

func (r Result) cell() string {
	switch r.Status {
	case Pass:
		if r.Detail != "" {
			return "pass (" + r.Detail + ")"
		}
		return "pass"
	case Fail:
		return "**fail**: " + r.Detail
	}
	return "not applicable: " + r.Detail
}

// Matrix collects results; it is safe for concurrent use.
type Matrix struct {
	mu      sync.Mutex
	results []Result
	notes   map[string]string // by section: text printed under its heading
}

// SetNote sets the text printed under section's heading.
func (m *Matrix) SetNote(section, note string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.notes == nil {
		m.notes = make(map[string]string)
	}
	m.notes[section] = note
}

// Add records a result, replacing an earlier one for the same cell.
func (m *Matrix) Add(r Result) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, old := range m.results {
		if old.Client == r.Client && old.Server == r.Server && old.Case == r.Case && old.Section == r.Section {
			m.results[i] = r
			return
		}
	}
	m.results = append(m.results, r)
}

// Len returns how many results were recorded.
func (m *Matrix) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.results)
}

// Markdown renders the matrix as tables, one per section in the order
// first recorded, the unnamed section first and without a heading: a row
// per case, a column per client/server pair, in the order first recorded.
func (m *Matrix) Markdown() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	sections := []string{""}
	for _, r := range m.results {
		if !slices.Contains(sections, r.Section) {
			sections = append(sections, r.Section)
		}
	}
	var b strings.Builder
	var pass, fail, na int
	for _, sec := range sections {
		var results []Result
		for _, r := range m.results {
			if r.Section == sec {
				results = append(results, r)
			}
		}
		if len(results) == 0 {
			continue
		}
		if sec != "" {
			fmt.Fprintf(&b, "\n## %s\n\n", sec)
			if note := m.notes[sec]; note != "" {
				b.WriteString(note + "\n\n")
			}
		}
		p, f, n := writeTable(&b, results)
		pass, fail, na = pass+p, fail+f, na+n
	}
	fmt.Fprintf(&b, "\n%d pass, %d fail, %d not applicable.\n", pass, fail, na)
	return b.String()
}

// pairRank orders the columns: quince with itself, then quince's client
// against each other server, then each other client against quince's
// server, in the order of peers; pairs of other names after those.
func pairRank(pair string) int {
	peers := []string{"quince", "quic-go", "ngtcp2", "chromium"}
	client, server, _ := strings.Cut(pair, " → ")
	ci, si := slices.Index(peers, client), slices.Index(peers, server)
	switch {
	case ci == 0 && si == 0:
		return 0
	case ci == 0 && si > 0:
		return 2 * si
	case si == 0 && ci > 0:
		return 2*ci + 1
	}
	return 100
}

// writeTable writes one table of results and returns their counts.
func writeTable(b *strings.Builder, results []Result) (pass, fail, na int) {
	var cases, pairs []string
	cells := make(map[[2]string]Result)
	for _, r := range results {
		pair := r.Client + " → " + r.Server
		if !slices.Contains(cases, r.Case) {
			cases = append(cases, r.Case)
		}
		if !slices.Contains(pairs, pair) {
			pairs = append(pairs, pair)
		}
		cells[[2]string{r.Case, pair}] = r
		switch r.Status {
		case Pass:
			pass++
		case Fail:
			fail++
		default:
			na++
		}
	}
	// Pairs run in parallel and finish in any order: the columns are
	// sorted, so that one run's matrix compares with another's line by
	// line.
	slices.SortStableFunc(pairs, func(a, b string) int { return pairRank(a) - pairRank(b) })
	fmt.Fprintf(b, "| case | %s |\n", strings.Join(pairs, " | "))
	fmt.Fprintf(b, "|---|%s\n", strings.Repeat("---|", len(pairs)))
	for _, c := range cases {
		fmt.Fprintf(b, "| %s |", c)
		for _, p := range pairs {
			r, ok := cells[[2]string{c, p}]
			cell := "—"
			if ok {
				cell = strings.ReplaceAll(r.cell(), "|", "\\|")
				cell = strings.ReplaceAll(cell, "\n", " ")
			}
			fmt.Fprintf(b, " %s |", cell)
		}
		b.WriteString("\n")
	}
	return pass, fail, na
}
