// How a command takes a password without putting it in shell history: typed at a prompt that does
// not echo it (on a terminal), or the first line of stdin (--password-stdin); and the password
// policy checked before anything is opened, so the reason is the sentence a person would see.
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { markSecret, readFirstLine, UsageError, type CliIo, type Command } from './args.js';

export function isTerminal(stream: NodeJS.ReadableStream): boolean {
  return (stream as NodeJS.ReadStream).isTTY === true;
}

/** One line typed at the terminal without echo; the question goes to stderr, so stdout stays clean. */
async function readHiddenLine(io: CliIo, question: string): Promise<string> {
  const muted = new Writable({ write(_chunk, _encoding, done) { done(); } });
  io.stderr(question);
  const lines = createInterface({ input: io.stdin, output: muted, terminal: true });
  try {
    return await new Promise<string>((resolve) => lines.question('', resolve));
  } finally {
    lines.close();
    io.stderr('\n');
  }
}

/** Asks twice on a terminal; a usage error when the two differ. */
export async function promptNewPassword(command: Command, io: CliIo): Promise<string> {
  const first = await readHiddenLine(io, 'New password: ');
  markSecret(first);
  const second = await readHiddenLine(io, 'Repeat the new password: ');
  if (first !== second) throw new UsageError(`${command.name}: the two passwords differ; nothing was changed`);
  return first;
}

export async function readPasswordFromStdin(io: CliIo): Promise<string> {
  const password = await readFirstLine(io.stdin);
  markSecret(password);
  return password;
}

/** The policy users.create and password changes apply (length, common passwords, the address in it). */
export async function checkPasswordPolicy(command: Command, password: string, about: { email: string; name?: string | undefined }): Promise<void> {
  const { loadSettingsFromEnvironment } = await import('../config.js');
  const { createPasswordPolicy } = await import('../services/password-policy.js');
  const { loadCommonPasswords } = await import('../services/common-passwords.js');
  const policy = createPasswordPolicy({ ...loadSettingsFromEnvironment().passwordPolicy, commonPasswords: loadCommonPasswords });
  const problem = policy.check(password, about);
  if (problem) throw new UsageError(`${command.name}: ${problem.message}`);
}
