// Package collect holds the benchmark of collecting one subject from a company database of a million customers
// (issue 16). It runs only when RIGHTSDESK_BENCH_COLLECT is set (see collect_bench_test.go), so that
// `go test ./...` never seeds a million rows.
package collect
