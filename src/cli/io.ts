// What a command talks to: streams and configuration, passed in so tests run commands in-process.
import type { Readable, Writable } from "node:stream";
import type { ToolConfig } from "../config.ts";

export type OutStream = Writable & { isTTY?: boolean; columns?: number };
export type InStream = Readable & { isTTY?: boolean };

export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  stdin: InStream;
  config: ToolConfig;
  /** Registers a Ctrl-C (SIGINT) handler; returns the function that removes it. */
  onInterrupt(handler: () => void): () => void;
  /**
   * Registers the line to print when Ctrl-C or SIGTERM stops the command at once (one with no
   * onInterrupt handler: load, migrate), in place of the bare "interrupted"; returns the function
   * that removes it. The last one registered is printed.
   */
  noteOnStop(line: string): () => void;
}

export function writeLine(stream: Writable, line = ""): void {
  stream.write(`${line}\n`);
}

/** 12345.6 → "12,346"; for counts and rates in human output. */
export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** Seconds with one decimal: "1.2 s". */
export function fmtSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
