/**
 * Memory of a child process from /proc/<pid>/status, so each measured process
 * reports its own memory and not the bench's. Linux only; elsewhere the figures
 * read NaN rather than something measured differently.
 */
import { readFileSync } from 'node:fs';

export interface ProcessMemory {
  /** VmRSS: resident now. */
  rssBytes: number;
  /** VmHWM: the most it was ever resident (the kernel's high-water mark). */
  peakRssBytes: number;
}

function statusField(text: string, field: string): number {
  const kibibytes = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1];
  return kibibytes === undefined ? NaN : Number(kibibytes) * 1024;
}

export function processMemory(pid: number | undefined): ProcessMemory {
  if (pid === undefined) return { rssBytes: NaN, peakRssBytes: NaN };
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return { rssBytes: NaN, peakRssBytes: NaN };
  }
  return { rssBytes: statusField(text, 'VmRSS'), peakRssBytes: statusField(text, 'VmHWM') };
}
