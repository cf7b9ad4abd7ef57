import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layers of the house (README "Layout", DESIGN.md §3). Data flows one way:
//   http -> (oidc | interactions | account | admin) -> services -> storage,
// with config, paths, crypto, i18n, errors and logger on the ground floor, importable by all.
// Each block forbids the imports that would point an arrow upward or sideways.
const layer = (regex, message) => ({ regex, message });
const ROUTE_MODULES = ['interactions', 'account', 'admin'];
const TOP = String.raw`(^|/)(app|compose|main|cli)\.js$`;
const rule = {
  storageUp: layer(String.raw`(^|/)(services|http|oidc|interactions|account|admin|cli)/|${TOP}`,
    'storage/ imports nothing above it: only other storage modules and the ground floor (config, paths, crypto, i18n, errors, logger).'),
  groundFloorUp: layer(String.raw`(^|/)(storage|services|http|oidc|interactions|account|admin|cli)/|${TOP}`,
    'The ground floor (config, paths, crypto, i18n, errors, logger) imports only itself: move what it needs down, or the caller up.'),
  servicesUp: layer(String.raw`(^|/)(http|oidc|interactions|account|admin|cli)/|${TOP}`,
    'services/ never imports http/, oidc/, a route module or the composition root: declare a port and let compose.ts plug it in.'),
  servicesFrameworks: layer(String.raw`^(koa|@koa/.*|oidc-provider)$`,
    'services/ stays free of Koa and oidc-provider: take plain values, or declare a port that oidc/ implements.'),
  noStorage: layer(String.raw`(^|/)storage/`, 'Route modules and the sessions CLI call services, never storage/ (DESIGN.md §3).'),
};
const otherRouteModules = (own) => layer(String.raw`(^|/)(${ROUTE_MODULES.filter((name) => name !== own).join('|')})/`,
  `Route modules do not import each other: move what ${own}/ shares to services/, http/ or paths.ts.`);
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  // The layers.
  { files: ['src/storage/**/*.ts'], rules: restrict(rule.storageUp) },
  { files: ['src/config.ts', 'src/settings-schema.ts', 'src/paths.ts', 'src/crypto/**/*.ts', 'src/i18n/**/*.ts', 'src/errors.ts', 'src/logger.ts', 'src/uuid.ts'], rules: restrict(rule.groundFloorUp) },
  { files: ['src/services/**/*.ts'], rules: restrict(rule.servicesUp, rule.servicesFrameworks) },
  ...ROUTE_MODULES.map((own) => ({ files: [`src/${own}/**/*.ts`], rules: restrict(rule.noStorage, otherRouteModules(own)) })),
  { files: ['src/cli/sessions.ts'], rules: restrict(rule.noStorage) },
  // Only config.ts reads the environment: everything else gets a validated Config.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/config.ts'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: "MemberExpression[object.name='process'][property.name='env']",
        message: 'Only src/config.ts reads process.env; add the setting to Config instead.',
      }],
    },
  },
  // Scripts served to browsers from public/ (classic scripts; the CSP allows only same-origin files).
  { files: ['public/**/*.js'], languageOptions: { sourceType: 'script', globals: { window: 'readonly', document: 'readonly' } } },
);
