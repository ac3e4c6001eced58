// Lists the survived and uncovered mutants of a Stryker JSON report (reports/mutation/stryker.json by default):
// file:line, mutator, the original and the mutated code. Used to write the tests that kill them (docs/testing.md).
import { readFileSync } from "node:fs";

const report = JSON.parse(readFileSync(process.argv[2] ?? "reports/mutation/stryker.json", "utf8"));
for (const [file, { source, mutants }] of Object.entries(report.files)) {
  const lines = source.split("\n");
  for (const m of mutants) {
    if (m.status !== "Survived" && m.status !== "NoCoverage") continue;
    const { start, end } = m.location;
    const original =
      start.line === end.line
        ? lines[start.line - 1].slice(start.column - 1, end.column - 1)
        : `${lines[start.line - 1].slice(start.column - 1)}…`;
    const clip = (s) => (s.length > 70 ? `${s.slice(0, 67)}...` : s).replace(/\s+/g, " ");
    console.log(
      `${m.status === "Survived" ? "S" : "N"} ${file}:${start.line} ${m.mutatorName}: ${clip(original)} -> ${clip(m.replacement ?? "")}`,
    );
  }
}
