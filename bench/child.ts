// Child processes of the bench, and the CPU they use, from the kernel's own accounting (Linux).
//
// A child's CPU time over a window = (its total, read from this process's /proc/self/stat
// cutime + cstime once the child has exited and been reaped) − (its own utime + stime, read from
// /proc/<pid>/stat when it printed the line that opens the window). So start-up (loading modules,
// connecting, migrating) is left out, and the child needs no code of ours to be measured.
// Children are run one at a time, or the reaped totals of two would mix.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";

let ticksPerSecond: number | undefined;
const msPerTick = () => {
  ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  return 1000 / ticksPerSecond;
};

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces): field 3 is [0]. */
function statFields(pid: number | "self"): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}

/** CPU ms (user + system) the process `pid` used so far; NaN once it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const f = statFields(pid);
    return (Number(f[11]) + Number(f[12])) * msPerTick();
  } catch {
    return Number.NaN;
  }
}

/** CPU ms (user + system) of every child of this process reaped so far. */
export function reapedChildrenCpuMs(): number {
  const f = statFields("self");
  return (Number(f[13]) + Number(f[14])) * msPerTick();
}

export interface ChildRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** From spawn to exit. */
  wallMs: number;
  /** CPU of the child from its `windowOpens` line (or its start) to its exit. */
  cpuMs: number;
  /** CPU of the child from its start to its exit. */
  totalCpuMs: number;
  /** When its `windowOpens` and `startsAt` lines arrived, ms after the spawn (NaN if never). */
  openedAtMs: number;
  startedAtMs: number;
}

export interface ChildOptions {
  /** A line on stdout or stderr that opens the measured window (CPU before it is left out). */
  windowOpens?: RegExp;
  /** A line whose arrival time is noted too (its work starting, say). */
  startsAt?: RegExp;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs `node args...` to its end; never rejects on a non-zero exit (the caller decides). */
export function runNode(args: string[], o: ChildOptions = {}): Promise<ChildRun> {
  return runCommand(process.execPath, args, o);
}

/** Runs `command args...` (no shell) to its end, as runNode. */
export function runCommand(command: string, args: string[], o: ChildOptions = {}): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const reapedBefore = reapedChildrenCpuMs();
    const started = performance.now();
    const child = spawn(command, args, {
      cwd: o.cwd,
      env: o.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let cpuAtOpen: number | undefined = o.windowOpens ? undefined : 0;
    let openedAtMs = Number.NaN;
    let startedAtMs = Number.NaN;
    const watch = () => {
      const output = stdout + stderr;
      if (o.startsAt && Number.isNaN(startedAtMs) && o.startsAt.test(output))
        startedAtMs = performance.now() - started;
      if (cpuAtOpen === undefined && o.windowOpens!.test(output)) {
        cpuAtOpen = processCpuMs(child.pid!);
        openedAtMs = performance.now() - started;
      }
    };
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      watch();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      watch();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const totalCpuMs = reapedChildrenCpuMs() - reapedBefore;
      resolve({
        code,
        stdout,
        stderr,
        wallMs: performance.now() - started,
        totalCpuMs,
        openedAtMs,
        startedAtMs,
        cpuMs: cpuAtOpen === undefined || Number.isNaN(cpuAtOpen) ? Number.NaN : totalCpuMs - cpuAtOpen,
      });
    });
  });
}

/** As runNode, rejecting with the child's last stderr line when it exits non-zero. */
export function runNodeOk(args: string[], o: ChildOptions = {}): Promise<ChildRun> {
  return runCommandOk(process.execPath, args, o);
}

/** As runCommand, rejecting with the child's last stderr line when it exits non-zero. */
export async function runCommandOk(command: string, args: string[], o: ChildOptions = {}): Promise<ChildRun> {
  const run = await runCommand(command, args, o);
  if (run.code !== 0) {
    const last = run.stderr.trim().split("\n").pop() ?? "";
    throw new Error(`${path.basename(command)} ${args.join(" ").slice(0, 120)} exited ${run.code}: ${last}`);
  }
  return run;
}
