// Package scale holds the benchmarks that need a million stored requests: an officer's queue listing and the
// escalation sweep. They run only when RIGHTSDESK_BENCH_ROWS is set (see scale_bench_test.go and
// bench/scale.sh), so that `go test ./...` never seeds a million rows.
package scale
