// Resident memory of a process, from /proc (Linux): VmRSS now, VmHWM the kernel's peak since start.
import { readFileSync } from 'node:fs';

export interface MemorySample {
  rssMiB: number;
  peakMiB: number;
}

function fieldKiB(status: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) : Number.NaN;
}

/** Undefined where /proc is missing (not Linux) or the process is gone. */
export function readMemory(pid: number): MemorySample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { rssMiB: fieldKiB(status, 'VmRSS') / 1024, peakMiB: fieldKiB(status, 'VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}
