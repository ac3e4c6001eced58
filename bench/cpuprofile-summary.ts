/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and
 * by file, and total (inclusive) time of the functions named on the command
 * line, as shares of the profile's busy (non-idle) time. Bench-only.
 *
 *   npx tsx bench/cpuprofile-summary.ts FILE.cpuprofile [--top 30] [functionName ...]
 */
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
const args = process.argv.slice(2);
const file = args.shift()!;
let top = 30;
const named: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--top") top = Number(args[++i]);
  else named.push(args[i]!);
}
const prof = JSON.parse(readFileSync(file, "utf8")) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map<number, number>();
for (let i = 0; i < prof.samples.length; i++) {
  const id = prof.samples[i]!;
  self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
}
const label = (n: Node) => {
  const url = n.callFrame.url.replace(/^.*\/(src|dist|node_modules)\//, "$1/");
  return `${n.callFrame.functionName || "(anonymous)"} ${url}:${n.callFrame.lineNumber + 1}`;
};
let total = 0;
let idle = 0;
const fnSelf = new Map<string, number>();
const fileSelf = new Map<string, number>();
const fnTotal = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  total += us;
  if (n.callFrame.functionName === "(idle)") {
    idle += us;
    continue;
  }
  const l = label(n);
  fnSelf.set(l, (fnSelf.get(l) ?? 0) + us);
  const f = n.callFrame.url.replace(/^.*\/(src|dist|node_modules)\//, "$1/") || n.callFrame.functionName;
  fileSelf.set(f, (fileSelf.get(f) ?? 0) + us);
  // Inclusive: each named function on the stack once.
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const name = byId.get(cur)!.callFrame.functionName;
    if (named.includes(name) && !seen.has(name)) {
      seen.add(name);
      fnTotal.set(name, (fnTotal.get(name) ?? 0) + us);
    }
  }
}
const busy = total - idle;
const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms`;
console.log(`profile ${(total / 1e6).toFixed(2)} s, busy ${(busy / 1e6).toFixed(2)} s`);
console.log("-- self time by file");
for (const [f, us] of [...fileSelf].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${f}`);
console.log("-- self time by function");
for (const [f, us] of [...fnSelf].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us)}  ${f}`);
if (named.length > 0) {
  console.log("-- total time of the named functions");
  for (const name of named) console.log(`${pct(fnTotal.get(name) ?? 0)}  ${name}`);
}
