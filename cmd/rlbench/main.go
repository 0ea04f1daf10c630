// Command rlbench load-tests and benchmarks Redis-backed rate limiters.
package main

import "os"

func main() { os.Exit(Main(SystemIO())) }
