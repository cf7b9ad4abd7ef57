// The `gatehouse` command: finds the command named on the command line and runs it, turning every
// failure into one line on stderr and an exit code (0 ok, 1 failed, 2 usage). Command modules load
// their heavy dependencies lazily, so `--help` stays fast.
import { auditCommand } from './cli/audit.js';
import { clientsDeleteCommand, clientsRotateSecretCommand, clientsShowCommand, clientsUpdateCommand } from './cli/client-changes.js';
import { clientsAddCommand, clientsListCommand } from './cli/clients.js';
import { clientsRegistrationTokenCommand } from './cli/client-registration-token.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, HelpRequested, toOneLine, UsageError, type CliIo, type Command } from './cli/args.js';
import {
  groupsAddCommand, groupsAddMemberCommand, groupsAddRoleCommand, groupsDeleteCommand, groupsListCommand, groupsRemoveMemberCommand,
  groupsRemoveRoleCommand, groupsShowCommand,
} from './cli/groups.js';
import { keysListCommand } from './cli/keys.js';
import { migrateCommand } from './cli/migrate.js';
import { rolesAddCommand, rolesDeleteCommand, rolesListCommand } from './cli/roles.js';
import { serveCommand } from './cli/serve.js';
import { logoutDeliveriesCommand, logoutDeliveriesListCommand, logoutDeliveriesRetryCommand } from './cli/logout-deliveries.js';
import { sessionsListCommand, sessionsRevokeCommand } from './cli/sessions.js';
import { usersResetTwoFactorCommand } from './cli/two-factor.js';
import { usersSetPasswordCommand } from './cli/user-password.js';
import { usersActivateCommand, usersDeleteCommand, usersDisableCommand, usersEnableCommand } from './cli/user-status.js';
import { usersAddCommand, usersInviteCommand, usersRolesCommand, usersUnlockCommand } from './cli/users.js';
import { usersTokensCommand } from './cli/user-tokens.js';
import { usersListCommand } from './cli/users-list.js';
import { ORGS_COMMANDS } from './cli/orgs.js';

const COMMANDS: Command[] = [serveCommand, migrateCommand, usersAddCommand, usersListCommand, usersInviteCommand, usersDisableCommand, usersEnableCommand,
  usersActivateCommand, usersDeleteCommand, usersSetPasswordCommand, usersUnlockCommand, usersRolesCommand, usersTokensCommand, usersResetTwoFactorCommand,
  rolesListCommand, rolesAddCommand, rolesDeleteCommand, groupsListCommand, groupsShowCommand, groupsAddCommand, groupsDeleteCommand,
  groupsAddMemberCommand, groupsRemoveMemberCommand, groupsAddRoleCommand, groupsRemoveRoleCommand, clientsAddCommand, clientsListCommand,
  clientsShowCommand, clientsUpdateCommand, clientsDeleteCommand, clientsRotateSecretCommand, clientsRegistrationTokenCommand, keysListCommand, auditCommand,
  sessionsListCommand, sessionsRevokeCommand, logoutDeliveriesCommand, logoutDeliveriesListCommand, logoutDeliveriesRetryCommand, ...ORGS_COMMANDS];

// Wide enough for the longest command name, so that a summary never runs into it.
const NAME_WIDTH = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;

const HELP = `Usage: gatehouse <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(NAME_WIDTH)}${c.summary}`).join('\n')}

Run \`gatehouse <command> --help\` for a command's options.

Configuration comes from the environment, as for the server: DATABASE_URL (a Postgres server;
unset means the embedded database in DATA_DIR, default ./data, reached through the running server
when there is one), ENCRYPTION_KEY, NODE_ENV. Every command applies pending migrations first.
Exit status: 0 ok, 1 failed, 2 bad command line or input (nothing was written).`;

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdin: process.stdin,
};

function isHelp(word: string | undefined): boolean {
  return word === '--help' || word === '-h';
}

/** The command for argv, with the arguments that belong to it; HelpRequested for a group's help. */
function resolve(argv: string[]): { command: Command; rest: string[] } {
  const [first, second] = argv;
  if (first === undefined) throw new UsageError('missing command (see `gatehouse --help`)');
  if (isHelp(first) || first === 'help') throw new HelpRequested(HELP);
  // `logout-deliveries` shows a summary; `logout-deliveries retry` is a command of its own.
  const sub = second === undefined ? undefined : COMMANDS.find((c) => c.name === `${first} ${second}`);
  if (sub) return { command: sub, rest: argv.slice(2) };
  const single = COMMANDS.find((c) => c.name === first);
  if (single) return { command: single, rest: argv.slice(1) };
  const group = COMMANDS.filter((c) => c.name.startsWith(`${first} `));
  if (group.length === 0) throw new UsageError(`unknown command "${first}" (see \`gatehouse --help\`)`);
  const groupHelp = `Usage: gatehouse ${first} <command> [options]\n\nCommands:\n${group.map((c) => `  ${c.name.padEnd(NAME_WIDTH)}${c.summary}`).join('\n')}`;
  if (isHelp(second)) throw new HelpRequested(groupHelp);
  const command = group.find((c) => c.name === `${first} ${second}`);
  if (!command) {
    const choices = group.map((c) => c.name.split(' ')[1]).join(', ');
    throw new UsageError(second === undefined ? `${first}: missing command (one of: ${choices})` : `${first}: unknown command "${second}" (one of: ${choices})`);
  }
  return { command, rest: argv.slice(2) };
}

export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  try {
    const { command, rest } = resolve(argv);
    await command.run(rest, io);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof HelpRequested) {
      io.stdout(`${error.message}\n`);
      return EXIT_OK;
    }
    // Only the message, never a stack or the error's properties: those can carry queries and values.
    io.stderr(`gatehouse: ${toOneLine((error as Error)?.message ?? String(error))}\n`);
    return error instanceof UsageError ? EXIT_USAGE : EXIT_FAILED;
  }
}
