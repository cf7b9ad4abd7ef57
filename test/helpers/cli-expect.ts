// What every CLI test asks of a run: success is silent on stderr with exit 0; a refusal is one
// line on stderr naming the reason, nothing on stdout, and the given exit code.
import { expect } from 'vitest';
import type { CliResult } from './gatehouse-process.js';

export function expectOk(result: CliResult): CliResult {
  expect(result.stderr, result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result;
}

export function expectRefused(result: CliResult, code: number, reason: string | RegExp): void {
  expect(result.code, result.stderr).toBe(code);
  expect(result.stderr).toMatch(/^gatehouse: [^\n]+\n$/);
  expect(result.stderr).toMatch(reason);
  expect(result.stdout).toBe('');
}
