// The CLI's flag parsing: ids that start with '-' (base64url session uids and client ids can) are
// read as the value of the flag before them, not as a flag of their own.
import { describe, expect, it } from 'vitest';
import { parseFlags, UsageError, type Command } from '../../src/cli/args.js';

const command: Command = { name: 'sessions revoke', summary: '', help: 'help', run: async () => undefined };
const options = { email: { type: 'string' }, session: { type: 'string' }, all: { type: 'boolean' } } as const;

describe('parseFlags', () => {
  it('takes an id starting with "-" or "--" as the value of --session', () => {
    expect(parseFlags(command, options, ['--email', 'a@example.test', '--session', '-abcDEF_123']).session).toBe('-abcDEF_123');
    expect(parseFlags(command, options, ['--session', '--abcDEF_123', '--email', 'a@example.test']).session).toBe('--abcDEF_123');
    expect(parseFlags(command, options, ['--session=-x1']).session).toBe('-x1');
  });

  it('still reads a known flag after a flag that wants a value as a missing value', () => {
    expect(() => parseFlags(command, options, ['--session', '--all'])).toThrow(UsageError);
    expect(parseFlags(command, options, ['--all', '--email', 'a@example.test'])).toMatchObject({ all: true, email: 'a@example.test' });
  });

  it('refuses unknown flags as before', () => {
    expect(() => parseFlags(command, options, ['--nope'])).toThrow(/Unknown option '--nope'/);
  });
});
