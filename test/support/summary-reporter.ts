import type { Reporter, TestModule } from 'vitest/node'

/**
 * Prints the closing line CI reads: "N passed, N failed[, N skipped]" from vitest's real
 * results. A file that fails to load (or errors outside a test) counts as one failure, and so
 * does each unhandled error, so a broken import can never look green.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>) {
    let passed = 0
    let failed = unhandledErrors.length
    let skipped = 0
    for (const mod of testModules) {
      let testsInModule = 0
      for (const test of mod.children.allTests()) {
        testsInModule++
        const state = test.result().state
        if (state === 'passed') passed++
        else if (state === 'failed') failed++
        else skipped++
      }
      if (mod.errors().length > 0 || (testsInModule === 0 && mod.state() === 'failed')) failed++
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`)
  }
}
