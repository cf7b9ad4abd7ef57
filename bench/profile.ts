// Where a target's CPU time goes: the V8 sampling profiler, switched on inside the target process
// (node:inspector) for one extra run of a scenario, summed by package and by function.
import { Session } from 'node:inspector/promises';

export interface ProfileSummary {
  /** Sampled non-idle milliseconds. */
  busyMs: number;
  /** Share of busy time by area (a package, Gatehouse's src/, node internals, GC, native). */
  areas: { area: string; percent: number }[];
  /** Functions with the most self time. */
  functions: { name: string; percent: number }[];
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

function areaOf(node: ProfileNode): string {
  const { functionName, url } = node.callFrame;
  if (functionName === '(garbage collector)') return 'GC';
  if (url.startsWith('wasm://')) return 'wasm (PGlite)';
  // Syscalls (writev), crypto jobs (run: signing) and V8's own work have no script URL.
  if (functionName === '(program)' || url === '') return 'native';
  const dependency = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (dependency) return dependency[1]!;
  if (url.startsWith('node:')) return 'node internals';
  const own = /\/(src|bench)\//.exec(url);
  return own ? `gatehouse ${own[1]}/` : url;
}

function nameOf(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*\/(src|bench)\//, '$1/');
  return `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`;
}

function top(map: Map<string, number>, total: number, count: number) {
  return [...map].sort((a, b) => b[1] - a[1]).slice(0, count).map(([key, hits]) => ({ key, percent: Number(((100 * hits) / total).toFixed(1)) }));
}

export function summarize(profile: { nodes: ProfileNode[]; startTime: number; endTime: number; samples?: number[] }): ProfileSummary {
  const busy = profile.nodes.filter((node) => node.callFrame.functionName !== '(idle)' && (node.hitCount ?? 0) > 0);
  const hits = busy.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const allHits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const node of busy) {
    areas.set(areaOf(node), (areas.get(areaOf(node)) ?? 0) + node.hitCount!);
    functions.set(nameOf(node), (functions.get(nameOf(node)) ?? 0) + node.hitCount!);
  }
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  return {
    busyMs: Math.round(allHits > 0 ? (totalMs * hits) / allHits : 0),
    areas: top(areas, Math.max(hits, 1), 12).map(({ key, percent }) => ({ area: key, percent })),
    functions: top(functions, Math.max(hits, 1), 12).map(({ key, percent }) => ({ name: key, percent })),
  };
}

/** The in-process half: start on one message, stop and summarize on the next. */
export function createProfiler() {
  let session: Session | undefined;
  return {
    async start(): Promise<void> {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    },
    async stop(): Promise<ProfileSummary> {
      if (!session) throw new Error('profiler not started');
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      session = undefined;
      return summarize(profile as Parameters<typeof summarize>[0]);
    },
  };
}
