/** What the figures were measured on: they mean little without it. */
import { cpus, loadavg, platform, release, totalmem } from 'node:os';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cpus: number;
  readonly nodeVersion: string;
  readonly platform: string;
  readonly totalMemoryMb: number;
  /** ISO time the run started. */
  readonly date: string;
  /** 1-minute load average at the start: other work on the machine slows wall-clock figures. */
  readonly loadAverageAtStart: number;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cpus: list.length,
    nodeVersion: process.version,
    platform: `${platform()} ${release()}`,
    totalMemoryMb: Math.round(totalmem() / 1e6),
    date: new Date().toISOString(),
    loadAverageAtStart: loadavg()[0] ?? 0,
  };
}

export function loadAverageNow(): number {
  return loadavg()[0] ?? 0;
}
