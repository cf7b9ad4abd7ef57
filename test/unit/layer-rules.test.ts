// The layers of DESIGN.md §3 are kept by `npm run lint`: each planted import below points an arrow
// the wrong way and must be refused, while the same file on its own floor passes.
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.js';

const eslint = new ESLint({ cwd: PROJECT_ROOT });

async function problemsOf(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.join(PROJECT_ROOT, file) });
  return result!.messages.map((message) => `${message.ruleId}: ${message.message}`);
}

describe('layer rules in lint', () => {
  it.each([
    ['storage imports a service', 'src/storage/repositories/planted.ts', "import { createAuditLog } from '../../services/audit.js';\nexport const x = createAuditLog;\n"],
    ['a service imports Koa', 'src/services/planted.ts', "import type Koa from 'koa';\nexport type X = Koa.Context;\n"],
    ['a service imports oidc-provider', 'src/services/planted.ts', "import type Provider from 'oidc-provider';\nexport type X = Provider;\n"],
    ['a service imports http/', 'src/services/planted.ts', "import { requestMeta } from '../http/request-meta.js';\nexport const x = requestMeta;\n"],
    ['a service imports oidc/', 'src/services/planted.ts', "import { createSessionEnder } from '../oidc/session-ending.js';\nexport const x = createSessionEnder;\n"],
    ['an account page imports storage', 'src/account/planted.ts', "import { listAccountSessions } from '../storage/repositories/account-sessions.js';\nexport const x = listAccountSessions;\n"],
    ['an account page imports an interaction module', 'src/account/planted.ts', "import { clientIdOf } from '../interactions/load-interaction.js';\nexport const x = clientIdOf;\n"],
    ['the admin API imports an account module', 'src/admin/planted.ts', "import { createSessionStream } from '../account/session-stream.js';\nexport const x = createSessionStream;\n"],
    ['config imports a route module', 'src/config.ts', "import { createAdminApi } from './admin/api/index.js';\nexport const planted = createAdminApi;\n"],
    ['the sessions CLI imports storage', 'src/cli/sessions.ts', "import { listAccountSessions } from '../storage/repositories/account-sessions.js';\nexport const x = listAccountSessions;\n"],
  ])('refuses: %s', async (_name, file, source) => {
    const problems = await problemsOf(file, source);
    expect(problems.some((problem) => problem.startsWith('no-restricted-imports:')), problems.join('\n')).toBe(true);
  });

  it('refuses process.env outside config.ts, and allows it there', async () => {
    const source = 'export const port = process.env.PORT;\n';
    expect(await problemsOf('src/services/planted.ts', source)).toEqual([expect.stringContaining('no-restricted-syntax: Only src/config.ts reads process.env')]);
    expect(await problemsOf('src/config.ts', source)).toEqual([]);
  });

  it('lets each floor import the floors below it', async () => {
    expect(await problemsOf('src/services/planted.ts', "import { listAccountSessions } from '../storage/repositories/account-sessions.js';\nimport { ACCOUNT_PATHS } from '../paths.js';\nexport const x = [listAccountSessions, ACCOUNT_PATHS];\n")).toEqual([]);
    expect(await problemsOf('src/account/planted.ts', "import type { SessionService } from '../services/sessions.js';\nimport { formOf } from '../http/body.js';\nexport type X = SessionService;\nexport const y = formOf;\n")).toEqual([]);
    expect(await problemsOf('src/storage/repositories/planted.ts', "import type { Queryable } from '../db.js';\nimport { isUuid } from '../../uuid.js';\nexport type X = Queryable;\nexport const y = isUuid;\n")).toEqual([]);
  });
});
