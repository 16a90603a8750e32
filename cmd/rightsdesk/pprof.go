//go:build pprof

// Built with -tags pprof (bench/profile.sh), the program serves net/http/pprof on RIGHTSDESK_PPROF_ADDR, a
// loopback address apart from the service's, so that a CPU profile can be taken under load. Release builds
// have no such listener.
package main

import (
	"log"
	"net"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on http.DefaultServeMux
	"os"
)

func init() {
	addr := os.Getenv("RIGHTSDESK_PPROF_ADDR")
	if addr == "" {
		return
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		log.Fatalf("RIGHTSDESK_PPROF_ADDR %q: want a loopback host:port", addr)
	}
	go func() { log.Print(http.ListenAndServe(addr, nil)) }()
}
