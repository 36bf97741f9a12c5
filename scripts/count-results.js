#!/usr/bin/env node
/* eslint-disable no-console */
// Prints "N passed, N failed" from the test runners' own JSON results
// (jest --json and Playwright's JSON reporter) in the given folder.
// A suite that failed to run counts as one failure; a missing result file
// counts as one failure for that runner. Exits 1 when anything failed or
// when no test ran.
const fs = require('fs');
const path = require('path');

const dir = process.argv[2];
let passed = 0;
let failed = 0;
const lines = [];

function read(file) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  } catch {
    return undefined;
  }
}

const jest = read('jest.json');
if (jest) {
  const runtimeErrors = jest.numRuntimeErrorTestSuites ?? 0;
  passed += jest.numPassedTests;
  failed += jest.numFailedTests + runtimeErrors;
  lines.push(
    `jest: ${jest.numPassedTests} passed, ${jest.numFailedTests} failed, ${runtimeErrors} suites failed to run, ${jest.numPendingTests} pending`,
  );
  if (jest.numPendingTests + (jest.numTodoTests ?? 0) > 0) {
    // Skipped tests are not allowed here: count them as failures.
    failed += jest.numPendingTests + (jest.numTodoTests ?? 0);
  }
} else {
  failed += 1;
  lines.push('jest: no results (jest.json missing)');
}

// Playwright's JSON reporter: the browser tests, and the install in a new
// app (scripts/verify-install.sh).
for (const [label, file] of [
  ['playwright', 'playwright.json'],
  ['install in a new app', 'install.json'],
]) {
  const pw = read(file);
  if (pw) {
    const s = pw.stats;
    passed += s.expected + s.flaky;
    failed += s.unexpected + s.skipped;
    lines.push(
      `${label}: ${s.expected + s.flaky} passed, ${s.unexpected} failed, ${
        s.skipped
      } skipped`,
    );
  } else {
    failed += 1;
    lines.push(`${label}: no results (${file} missing)`);
  }
}

lines.forEach(l => console.log(`  ${l}`));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
