/** CPU seconds of processes from /proc, for the several-server benches (run.ts, pg-cpu.ts). */
import { readdirSync, readFileSync } from "node:fs";

const TICK = 100; // clock ticks per second in /proc/*/stat (getconf CLK_TCK on Linux)

/** user + system CPU seconds of a process (with its waited-for children's if `children`), 0 if it is gone. */
export function cpuOf(pid: number, children = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14-17 of proc(5) (utime, stime, cutime, cstime) are 11-14 here: the first two are cut off.
    const own = Number(f[11]) + Number(f[12]);
    return (children ? own + Number(f[13]) + Number(f[14]) : own) / TICK;
  } catch {
    return 0;
  }
}

/** CPU seconds of PostgreSQL: the postmaster with its exited children, plus every live child. */
export function pgCpu(postmaster: number): number {
  const { backends, background } = pgCpuSplit(postmaster);
  return backends + background;
}

/**
 * PostgreSQL's CPU seconds split: `backends` (live client connections: statements, commits, notices) and
 * `background` (the postmaster and its exited children, WAL writer, checkpointer, autovacuum, and the like).
 */
export function pgCpuSplit(postmaster: number): { backends: number; background: number } {
  let backends = 0;
  let background = cpuOf(postmaster, true);
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid !== postmaster) continue;
      // A backend's title is "postgres: user database host(port) state"; background processes name their role.
      const title = readFileSync(`/proc/${d}/cmdline`, "utf8");
      if (/^postgres: \S+ \S+ \d/.test(title)) backends += cpuOf(Number(d));
      else background += cpuOf(Number(d));
    } catch {}
  }
  return { backends, background };
}
