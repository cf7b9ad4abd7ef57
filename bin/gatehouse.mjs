#!/usr/bin/env node
// The `gatehouse` executable. In a checkout the TypeScript sources run directly through tsx; the
// Docker image ships only the compiled dist/, so there the built JavaScript runs.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../src/cli.ts', import.meta.url);
let cli;
if (existsSync(fileURLToPath(source))) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(source.href);
} else {
  cli = await import('../dist/cli.js');
}
// exitCode rather than exit(): stdout may still be flushing to a pipe, and `serve` keeps running.
process.exitCode = await cli.runCli(process.argv.slice(2));
