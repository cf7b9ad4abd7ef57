// Target processes run compiled JavaScript on plain node, as the Docker image does: under tsx a
// process carries the TypeScript loader (about 35 MB and an extra thread), which would blur RSS.
// TypeScript's transpile-only mode is enough: tsc --noEmit checks types separately.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { PROJECT_ROOT } from '../src/config.js';

const COMPILED_DIRS = ['src', 'bench'];
// Read at run time relative to the compiled src/ (PROJECT_ROOT is src/..).
const LINKED = ['node_modules', 'package.json', 'config', 'migrations', 'views', 'public'];

function transpileDir(from: string, to: string): number {
  let count = 0;
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'results') count += transpileDir(source, path.join(to, entry.name));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      const { outputText } = ts.transpileModule(readFileSync(source, 'utf8'), {
        fileName: source,
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2023, verbatimModuleSyntax: true },
      });
      writeFileSync(path.join(to, entry.name.replace(/\.ts$/, '.js')), outputText);
      count += 1;
    }
  }
  return count;
}

/** Compiles src/ and bench/ into a temporary root; returns the root (the caller removes it). */
export function buildTargets(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-build-'));
  for (const dir of COMPILED_DIRS) transpileDir(path.join(PROJECT_ROOT, dir), path.join(root, dir));
  for (const name of LINKED) symlinkSync(path.join(PROJECT_ROOT, name), path.join(root, name));
  return root;
}
