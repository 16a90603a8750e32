// Command report turns the JSON lines of bench/loadgen into a Markdown table, with each dialect's Rightsdesk
// throughput as a share of its floor's measured in the same run. Labels are DIALECT/SERVER (sqlite/floor,
// sqlite/rightsdesk, postgres/floor ...).
//
//	go run ./bench/report < bench/out/run.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
)

type result struct {
	Label         string         `json:"label"`
	Mode          string         `json:"mode"`
	Concurrency   int            `json:"concurrency"`
	OK            int64          `json:"ok"`
	Errors        int64          `json:"errors"`
	Status        map[string]int `json:"status"`
	ThroughputRPS float64        `json:"throughput_rps"`
	P50Ms         float64        `json:"p50_ms"`
	P99Ms         float64        `json:"p99_ms"`
	RSSMaxMB      float64        `json:"rss_max_mb"`
	RSSPeakMB     float64        `json:"rss_peak_mb"`
	CPUServerMs   float64        `json:"cpu_server_ms_per_ok"`
	CPUMachineS   float64        `json:"cpu_machine_s"`
	DurationS     float64        `json:"duration_s"`
}

// filingTargets are the least ratios of Rightsdesk's filing throughput to its floor's, per database
// (docs/performance.md, "Where it stands").
var filingTargets = map[string]float64{"sqlite": 0.5, "postgres": 0.4}

func main() {
	var results []result
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var r result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			fmt.Fprintln(os.Stderr, "report: skipping a line:", err)
			continue
		}
		results = append(results, r)
	}
	fmt.Println("| run | mode | clients | ok | errors | req/s | p50 ms | p99 ms | RSS max MB | server CPU ms/req | machine busy |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	floors := map[string]float64{}
	for _, r := range results {
		busy := 0.0
		if r.DurationS > 0 {
			busy = r.CPUMachineS / r.DurationS / float64(runtime.NumCPU())
		}
		fmt.Printf("| %s | %s | %d | %d | %d | %.1f | %.2f | %.2f | %.1f | %.2f | %.0f%% |\n", r.Label, r.Mode,
			r.Concurrency, r.OK, r.Errors, r.ThroughputRPS, r.P50Ms, r.P99Ms, r.RSSMaxMB, r.CPUServerMs, 100*busy)
		if dialect, server, ok := strings.Cut(r.Label, "/"); ok && server == "floor" {
			floors[dialect] = r.ThroughputRPS
		}
	}
	fmt.Println()
	for _, r := range results {
		dialect, server, ok := strings.Cut(r.Label, "/")
		if !ok || server != "rightsdesk" || floors[dialect] == 0 {
			continue
		}
		ratio, target := r.ThroughputRPS/floors[dialect], filingTargets[dialect]
		verdict := "meets"
		if ratio < target {
			verdict = "misses"
		}
		fmt.Printf("%s: Rightsdesk files at %.2f of the floor's throughput (%.1f vs %.1f req/s): %s the target of %.1f\n",
			dialect, ratio, r.ThroughputRPS, floors[dialect], verdict, target)
		if r.Errors > 0 {
			fmt.Printf("%s: WARNING: %d errors %v: the figures above are not a clean measurement\n", dialect, r.Errors, r.Status)
		}
	}
}
