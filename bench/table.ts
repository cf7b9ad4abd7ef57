// Renders a Report as the printed table and the lines under it.
import { isMeasurement } from './scenarios.js';
import type { Report } from './report.js';

const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const rate = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));

function row(cells: string[], widths: number[]): string {
  return cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
}

export function renderTable(report: Report): string {
  const bare = report.targets.find((t) => t.kind === 'bare');
  const gatehouses = report.targets.filter((t) => t.kind === 'gatehouse');
  const header = ['scenario', ...report.targets.flatMap((t) => [`${t.name} req/s`, 'p50 ms', 'p99 ms']), ...gatehouses.map((g) => `${g.name}/bare`)];
  const footnotes: string[] = [];
  const rows = report.scenarios.map((scenario) => {
    const cells = [scenario.label];
    for (const target of report.targets) {
      const outcome = scenario.results[target.name];
      if (!isMeasurement(outcome)) {
        cells.push(outcome?.unsupported ?? 'n/a', '', '');
        continue;
      }
      let mark = '';
      if (outcome.failed > 0) {
        footnotes.push(`${scenario.label} on ${target.name}: ${outcome.failed} failed (first: ${outcome.firstError ?? '?'})`);
        mark = '!';
      }
      if (scenario.key === 'codeFlow' && target.kind === 'bare') mark += '†';
      cells.push(rate(outcome.perSecond) + mark, fixed(outcome.p50Ms), fixed(outcome.p99Ms));
    }
    for (const gatehouse of gatehouses) {
      const mine = scenario.results[gatehouse.name];
      const theirs = bare ? scenario.results[bare.name] : undefined;
      const comparable = scenario.key !== 'codeFlow' && isMeasurement(mine) && isMeasurement(theirs) && theirs.perSecond > 0;
      cells.push(comparable ? `${fixed(mine.perSecond / theirs.perSecond, 2)}×` : 'n/a');
    }
    return cells;
  });
  const widths = header.map((_, i) => Math.max(header[i]!.length, ...rows.map((r) => r[i]!.length)));
  const legend = report.targets.map((t) => `${t.name} = ${t.kind === 'bare' ? 'bare oidc-provider' : 'Gatehouse'} (${t.storage})`).join('; ');
  const lines = [`targets: ${legend}`, '', row(header, widths), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => row(r, widths))];
  lines.push('', '† bare oidc-provider has no login page: it signs a fixed account in and consents in one step, no password hashing.');
  lines.push('  Its row is the library\'s own minimum for the flow; Gatehouse\'s code flow is read against the argon2 limit below.');
  for (const note of footnotes) lines.push(`! ${note}`);

  const a = report.argon2;
  lines.push('', `argon2id (m=${a.settings.memoryKiB} KiB, t=${a.settings.iterations}, p=${a.settings.parallelism}): `
    + `${fixed(a.perSecondOneAtATime)}/s one at a time (${fixed(a.msPerHash)} ms each), `
    + `${fixed(a.perSecondAllCores)}/s with ${a.concurrency} at once; sign-in limit of this machine ${fixed(a.limitPerSecond)}/s `
    + `(libuv threadpool ${a.threadpoolSize} in the measuring process)`);
  for (const [name, entry] of Object.entries(report.tokenAtHalfPeak)) {
    lines.push(`token endpoint at half its peak, ${name}: ${fixed(entry.ratePerSecond, 0)} req/s offered, `
      + `${rate(entry.token.perSecond)} served, p50 ${fixed(entry.token.p50Ms)} ms, p99 ${fixed(entry.token.p99Ms)} ms`);
  }
  for (const [name, entry] of Object.entries(report.tokenWhileLoginsSaturate)) {
    lines.push(`token endpoint while logins saturate, ${name}: ${fixed(entry.ratePerSecond, 0)} req/s offered, `
      + `${rate(entry.token.perSecond)} served, p50 ${fixed(entry.token.p50Ms)} ms, p99 ${fixed(entry.token.p99Ms)} ms `
      + `(beside ${rate(entry.logins.perSecond)} sign-ins/s, p99 ${fixed(entry.logins.p99Ms, 0)} ms, ${entry.logins.failed} failed)`);
  }
  for (const target of report.targets) {
    lines.push(`RSS ${target.name} (${target.storage}): listening ${fixed(target.rss.listeningMiB, 0)} MiB, `
      + `idle after seeding ${fixed(target.rss.idleMiB, 0)} MiB, `
      + `after load ${fixed(target.rss.afterLoadMiB, 0)} MiB, peak ${fixed(target.rss.peakMiB, 0)} MiB`);
  }
  for (const [key, byTarget] of Object.entries(report.profiles)) {
    const label = report.scenarios.find((s) => s.key === key)?.label ?? key;
    for (const [name, summary] of Object.entries(byTarget)) {
      lines.push(`profile ${label} on ${name} (${summary.busyMs} ms busy): `
        + summary.areas.slice(0, 7).map((a) => `${a.area} ${a.percent}%`).join(', '));
      lines.push(`    top: ${summary.functions.slice(0, 4).map((f) => `${f.name} ${f.percent}%`).join('; ')}`);
    }
  }
  lines.push('', 'targets:');
  for (const check of report.checks) {
    lines.push(`  [${check.met === null ? ' n/a ' : check.met ? ' met ' : 'MISSED'}] ${check.goal}: ${check.measured}`);
  }
  const m = report.machine;
  lines.push(`machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, node ${m.node}; load average ${m.loadAverageAtStart.join(' ')} at start, ${m.loadAverageAtEnd.join(' ')} at end`);
  for (const note of report.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}
