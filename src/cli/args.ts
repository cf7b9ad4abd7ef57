// Shared CLI plumbing: the command shape, strict flag parsing, and errors that carry an exit code.
// Kept free of heavy imports so `gatehouse --help` starts fast.
import { createInterface } from 'node:readline';
import { parseArgs, type ParseArgsConfig } from 'node:util';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdin: NodeJS.ReadableStream;
}

export interface Command {
  /** As typed: `clients add`. */
  name: string;
  summary: string;
  help: string;
  run(argv: string[], io: CliIo): Promise<void>;
}

/** The command line itself is wrong, or its values were refused before anything was touched: exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Printing --help is an early, successful exit. */
export class HelpRequested extends Error {
  override name = 'HelpRequested';
}

type Options = NonNullable<ParseArgsConfig['options']>;

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * A value that starts with '-' (a session uid or client id can: base64url has '-') would read as a
 * flag. After a flag that takes a value, anything that is not itself one of the command's flags is
 * taken as that value, written `--flag=value` for parseArgs.
 */
function attachDashValues(options: Options, argv: string[]): string[] {
  const known = new Set(Object.entries(options).flatMap(([name, option]) => [`--${name}`, ...(option.short ? [`-${option.short}`] : [])]));
  const out: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index]!;
    if (arg === '--') {
      out.push(...argv.slice(index));
      break;
    }
    const next = argv[index + 1];
    const takesValue = arg.startsWith('--') && options[arg.slice(2)]?.type === 'string';
    if (takesValue && next !== undefined && next.startsWith('-') && next.length > 1 && !known.has(next)) {
      out.push(`${arg}=${next}`);
      index += 1;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/**
 * Parses argv strictly. `--help`/`-h` anywhere wins over every other problem, so a user who got a
 * flag wrong can still ask for help on the same line.
 */
export function parseFlags<O extends Options>(command: Command, options: O, argv: string[]) {
  return parseCommandLine(command, options, argv, false).values;
}

function parseCommandLine<O extends Options>(command: Command, options: O, argv: string[], allowPositionals: boolean) {
  const terminator = argv.indexOf('--');
  const beforeTerminator = terminator === -1 ? argv : argv.slice(0, terminator);
  if (beforeTerminator.includes('--help') || beforeTerminator.includes('-h')) throw new HelpRequested(command.help);
  try {
    return parseArgs({ args: attachDashValues({ ...options, ...HELP_OPTION }, argv), options: { ...options, ...HELP_OPTION }, strict: true, allowPositionals });
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]!.replace(/\. This command does not take positional arguments$/, '').replace(/\.$/, '');
    throw new UsageError(`${command.name}: ${message} (see \`gatehouse ${command.name} --help\`)`);
  }
}

/**
 * Flags, and exactly the arguments named (`<group> <email>`), in order: a usage error names the
 * first one missing, or the first one too many.
 */
export function parseArguments<O extends Options>(command: Command, options: O, argv: string[], names: readonly string[]) {
  const { values, positionals } = parseCommandLine(command, options, argv, true);
  if (positionals.length < names.length) {
    throw new UsageError(`${command.name}: missing <${names[positionals.length]}> (see \`gatehouse ${command.name} --help\`)`);
  }
  if (positionals.length > names.length) throw new UsageError(`${command.name}: unexpected argument "${positionals[names.length]}"`);
  return { values, args: positionals };
}

export function requireFlag<T>(command: Command, value: T | undefined, flag: string): T {
  if (value === undefined) throw new UsageError(`${command.name}: ${flag} is required (see \`gatehouse ${command.name} --help\`)`);
  return value;
}

/** Runs a check of the command line's values and returns its result; its ValidationError becomes a UsageError (exit 2). */
export async function checkInput<T>(command: Command, check: () => T): Promise<T> {
  const { ValidationError } = await import('../errors.js');
  try {
    return check();
  } catch (error) {
    if (error instanceof ValidationError) throw new UsageError(`${command.name}: ${error.message}`);
    throw error;
  }
}

/** Reads the first line of stdin (without its line ending), so a password stays out of shell history. */
export async function readFirstLine(stdin: NodeJS.ReadableStream): Promise<string> {
  const lines = createInterface({ input: stdin, terminal: false, crlfDelay: Infinity });
  try {
    for await (const line of lines) return line;
    return '';
  } finally {
    lines.close();
  }
}

// Values that must never be echoed back, even inside an error from a library.
const secrets = new Set<string>();

export function markSecret(value: string | undefined): void {
  if (value && value.length >= 4) secrets.add(value);
}

/** One line, with every marked secret replaced. */
export function toOneLine(text: string): string {
  let line = text.replace(/\s*\n\s*/g, ' ').trim();
  for (const secret of secrets) line = line.split(secret).join('[redacted]');
  return line;
}

/** Rows under a header, each column as wide as its widest cell, two spaces apart. */
export function printTable(io: CliIo, header: string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  for (const row of [header, ...rows]) io.stdout(`${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()}\n`);
}
