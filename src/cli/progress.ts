// A progress bar on a terminal, plain lines otherwise (logs, pipes, CI).
import type { OutStream } from "./io.ts";
import { fmtInt, writeLine } from "./io.ts";

export interface Progress {
  update(label: string, done: number, total: number): void;
  /** Ends the current label's bar (prints its final line). */
  finish(label: string, total: number): void;
}

export function createProgress(stream: OutStream): Progress {
  if (!stream.isTTY) {
    // Plain lines for logs: a line per quarter of a large table; small tables only in the summary.
    const printed = new Map<string, number>();
    return {
      update(label, done, total) {
        if (total < 20_000) return;
        const quarter = Math.floor((done / total) * 4);
        if (quarter === 0 || quarter === 4 || (printed.get(label) ?? 0) >= quarter) return;
        printed.set(label, quarter);
        writeLine(stream, `${label}: ${fmtInt(done)} of ${fmtInt(total)} rows`);
      },
      finish: () => undefined,
    };
  }
  let lastDraw = 0;
  const draw = (label: string, done: number, total: number) => {
    const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 60));
    const ratio = total === 0 ? 1 : done / total;
    const filled = Math.round(ratio * width);
    const bar = `${"#".repeat(filled)}${"-".repeat(width - filled)}`;
    const pct = `${Math.floor(ratio * 100)}%`.padStart(4);
    stream.write(`\r${label.padEnd(28)} [${bar}] ${pct} ${fmtInt(done)}/${fmtInt(total)}\x1b[K`);
  };
  return {
    update(label, done, total) {
      const now = Date.now();
      if (now - lastDraw < 100 && done < total) return;
      lastDraw = now;
      draw(label, done, total);
    },
    finish(label, total) {
      draw(label, total, total);
      stream.write("\n");
      lastDraw = 0;
    },
  };
}
