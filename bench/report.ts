// The shape of one run's results (also what bench/results/<date>.json holds).
import type { Argon2Rate } from './argon2-rate.js';
import type { Measurement } from './load.js';
import type { ProfileSummary } from './profile.js';
import type { Outcome } from './scenarios.js';

export interface TargetReport {
  name: string;
  kind: 'gatehouse' | 'bare';
  storage: string;
  rss: { listeningMiB: number; idleMiB: number; afterLoadMiB: number; peakMiB: number };
}

export interface TargetCheck {
  goal: string;
  measured: string;
  met: boolean | null;
}

export interface Report {
  date: string;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; os: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  options: { durationSeconds: number; warmupSeconds: number; connections: number; loginWorkers: number; floodWorkers: number };
  argon2: Argon2Rate;
  targets: TargetReport[];
  scenarios: { key: string; label: string; results: Record<string, Outcome> }[];
  tokenAtHalfPeak: Record<string, { ratePerSecond: number; token: Measurement }>;
  tokenWhileLoginsSaturate: Record<string, { ratePerSecond: number; token: Measurement; logins: Measurement }>;
  /** scenario key -> target name -> summary; only with BENCH_PROFILE=1. */
  profiles: Record<string, Record<string, ProfileSummary>>;
  checks: TargetCheck[];
  notes: string[];
}
