import type { Reporter, TestCase, TestModule } from "vitest/node";

/**
 * PARZEN_REQUIRE_ALL=1 (set by CI): any skipped or todo test fails the run. A skip in CI is a check that silently
 * did not happen (a missing dependency, a store without a failure hook), so it must be seen, not counted as green.
 */
export default class RequireAllReporter implements Reporter {
  private readonly skipped: string[] = [];

  onTestCaseResult(testCase: TestCase): void {
    if (testCase.result().state === "skipped") this.skipped.push(`${testCase.module.moduleId} > ${testCase.fullName}`);
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    // A whole file skipped (describe.skip at top level) reports its cases above; a file that collected nothing too.
    for (const m of testModules) if (m.state() === "skipped") this.skipped.push(m.moduleId);
    if (this.skipped.length === 0) return;
    console.error(`\nPARZEN_REQUIRE_ALL=1: ${this.skipped.length} skipped test(s) fail the run:`);
    for (const name of this.skipped) console.error(`  ${name}`);
    process.exitCode = 1;
  }
}
