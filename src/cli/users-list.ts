// `gatehouse users list`: the people, newest first, found by part of the address or name, a
// status or a role; all of them (following the list's cursor) or the first --limit.
import { parseFlags, printTable, UsageError, type Command } from './args.js';

export const usersListCommand: Command = {
  name: 'users list',
  summary: 'list and search users',
  help: `Usage: gatehouse users list [--search S] [--role R] [--status S] [--limit N] [--json]

Lists users, newest first: every one that matches, or the first N with --limit.

Options:
  --search S   a part of the email address or the name, in any case
  --role R     only holders of role R
  --status S   active, disabled or deactivated
  --limit N    at most N users (1 or more)
  --json       one JSON object per line (id, email, email_verified, name, status, roles,
               created_at), for scripts`,
  async run(argv, io) {
    const flags = parseFlags(this, {
      search: { type: 'string' }, role: { type: 'string' }, status: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' },
    } as const, argv);
    const limit = flags.limit === undefined ? Infinity : Number(flags.limit);
    if (!Number.isSafeInteger(limit) && limit !== Infinity) throw new UsageError(`${this.name}: --limit must be a whole number of 1 or more`);
    if (limit < 1) throw new UsageError(`${this.name}: --limit must be a whole number of 1 or more`);
    const { MAX_USER_PAGE, userListSchema } = await import('../services/user-directory.js');
    const filters = { search: flags.search, role: flags.role, status: flags.status };
    const checked = userListSchema.safeParse(filters);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      throw new UsageError(`${this.name}: --${String(issue.path[0])}: ${issue.message}`);
    }
    const { withSession } = await import('./session.js');
    const users = await withSession(async ({ context }) => {
      const found = [];
      let cursor: string | undefined;
      do {
        const page = await context.userDirectory.list({ ...checked.data, cursor, limit: Math.min(MAX_USER_PAGE, limit - found.length) });
        found.push(...page.users);
        cursor = page.next;
      } while (cursor && found.length < limit);
      return found;
    });
    if (flags.json) {
      for (const user of users) {
        io.stdout(`${JSON.stringify({
          id: user.id, email: user.email, email_verified: user.emailVerified, name: user.name, status: user.status, roles: user.roles,
          created_at: user.createdAt.toISOString(),
        })}\n`);
      }
      return;
    }
    if (users.length === 0) {
      io.stdout('no users match\n');
      return;
    }
    printTable(io, ['ID', 'EMAIL', 'NAME', 'STATUS', 'VERIFIED', 'ROLES', 'CREATED'], users.map((user) => [
      user.id, user.email, user.name ?? '-', user.status, user.emailVerified ? 'yes' : 'no', user.roles.join(',') || '-', user.createdAt.toISOString(),
    ]));
  },
};
