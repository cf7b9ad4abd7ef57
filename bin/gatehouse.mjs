#!/usr/bin/env node
// The `gatehouse` executable. In a checkout the TypeScript sources run directly through tsx; the
// Docker image ships only the compiled dist/, so there the built JavaScript runs.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// oidc-provider warns, once per process, on any Node release it does not list as supported (20 is
// among them, and Gatehouse supports it). A one-shot command loads the engine only to reach its
// stores, so there the notice is noise on stderr; `serve` keeps it.
if (process.argv[2] !== 'serve') {
  const warn = console.warn.bind(console);
  console.warn = (...args) => {
    if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime')) return;
    warn(...args);
  };
}

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
