package main

import "syscall"

type syscallRusage struct{ user, sys float64 }

// getrusage reads this process's CPU time, so the report can show how
// little of the machine the load generator itself took.
func getrusage(out *syscallRusage) error {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return err
	}
	out.user = float64(ru.Utime.Sec) + float64(ru.Utime.Usec)/1e6
	out.sys = float64(ru.Stime.Sec) + float64(ru.Stime.Usec)/1e6
	return nil
}
