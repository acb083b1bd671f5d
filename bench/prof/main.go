// Command prof runs one keycycle command in-process under the Go
// profilers, to see where the time of a benchmark goes:
//
//	prof -cpu cpu.pprof [-mem heap.pprof] [-n RUNS] -- check --repo DIR --format json
//	go tool pprof -top -cum cpu.pprof
//
// The command's output is discarded; its exit code is printed. -n repeats
// the command in the same process for a longer profile.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/keycycle/keycycle/internal/cli"
)

func main() {
	cpu := flag.String("cpu", "", "write a CPU profile to this file")
	mem := flag.String("mem", "", "write a heap profile (allocations) to this file")
	runs := flag.Int("n", 1, "run the command this many times")
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: prof [-cpu FILE] [-mem FILE] [-n RUNS] -- KEYCYCLE-ARGS…")
		os.Exit(2)
	}
	if *mem != "" {
		runtime.MemProfileRate = 64 << 10
	}
	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err != nil {
			fmt.Fprintln(os.Stderr, "prof:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "prof:", err)
			os.Exit(1)
		}
	}
	start := time.Now()
	code := 0
	for i := 0; i < *runs; i++ {
		code = cli.Main(context.Background(), args, strings.NewReader(""), io.Discard, io.Discard)
	}
	elapsed := time.Since(start)
	if *cpu != "" {
		pprof.StopCPUProfile()
	}
	if *mem != "" {
		f, err := os.Create(*mem)
		if err == nil {
			err = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "prof:", err)
			os.Exit(1)
		}
	}
	fmt.Printf("keycycle %s: exit %d, %d run(s), %.3fs each\n", strings.Join(args, " "), code, *runs, elapsed.Seconds()/float64(*runs))
}
