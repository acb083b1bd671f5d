// Command runstat runs a command several times and prints one
// tab-separated line: name, runs, best and median wall time, median CPU
// time (user+sys, the command and every child it waited for), and the
// largest peak resident set size seen, from the kernel's rusage (what GNU
// time -v calls "Maximum resident set size").
//
//	runstat [-n RUNS] [-w WARMUP] [-name NAME] [-ok 0,1] [-dir DIR] [-raw] -- COMMAND ARG…
//
// -raw prints every run instead (name, wall, CPU, RSS), for a caller that
// interleaves several commands and aggregates itself, as bench/check.sh
// does so that other load on the machine hits every command alike.
// The command's output goes to /dev/null. An exit code outside -ok is an
// error. It is bench/check.sh's timer when hyperfine is missing, and its
// memory meter always.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	runs := flag.Int("n", 5, "measured runs")
	warmup := flag.Int("w", 1, "unmeasured runs first")
	name := flag.String("name", "", "label of the output line (default: the command)")
	okCodes := flag.String("ok", "0", "comma-separated exit codes that count as success")
	dir := flag.String("dir", "", "working folder of the command")
	header := flag.Bool("header", false, "print the column names and exit")
	raw := flag.Bool("raw", false, "print one line per measured run: name, wall_s, cpu_s, peak_rss_kib")
	flag.Parse()
	if *header {
		fmt.Println("name\truns\twall_best_s\twall_median_s\tcpu_median_s\tpeak_rss_kib")
		return
	}
	args := flag.Args()
	if len(args) == 0 || *runs < 1 {
		fmt.Fprintln(os.Stderr, "usage: runstat [-n RUNS] [-w WARMUP] [-name NAME] [-ok 0,1] [-dir DIR] -- COMMAND ARG…")
		os.Exit(2)
	}
	ok := map[int]bool{}
	for _, s := range strings.Split(*okCodes, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			fmt.Fprintf(os.Stderr, "runstat: bad -ok %q\n", *okCodes)
			os.Exit(2)
		}
		ok[c] = true
	}
	if *name == "" {
		*name = strings.Join(args, " ")
	}
	var walls, cpus []float64
	var rss int64
	for i := 0; i < *warmup+*runs; i++ {
		wall, cpu, maxrss, err := once(args, *dir, ok)
		if err != nil {
			fmt.Fprintf(os.Stderr, "runstat: %s: %v\n", *name, err)
			os.Exit(1)
		}
		if i < *warmup {
			continue
		}
		if *raw {
			fmt.Printf("%s\t%.4f\t%.4f\t%d\n", *name, wall, cpu, maxrss)
		}
		walls = append(walls, wall)
		cpus = append(cpus, cpu)
		rss = max(rss, maxrss)
	}
	if *raw {
		return
	}
	fmt.Printf("%s\t%d\t%.4f\t%.4f\t%.4f\t%d\n", *name, *runs, slices.Min(walls), median(walls), median(cpus), rss)
}

func once(args []string, dir string, ok map[int]bool) (wall, cpu float64, maxrss int64, err error) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Stderr = nil // /dev/null, as stdout
	start := time.Now()
	err = cmd.Run()
	wall = time.Since(start).Seconds()
	if cmd.ProcessState == nil {
		return 0, 0, 0, err
	}
	if code := cmd.ProcessState.ExitCode(); !ok[code] {
		return 0, 0, 0, fmt.Errorf("exit code %d (%v)", code, err)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if ru != nil {
		cpu = tv(ru.Utime) + tv(ru.Stime)
		maxrss = ru.Maxrss // KiB on Linux
	}
	return wall, cpu, maxrss, nil
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
