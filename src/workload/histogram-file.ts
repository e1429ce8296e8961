// Per-second latency histograms in the file format of `cockroach workload run --histograms`:
// one JSON object per operation per tick, as CockroachDB's pkg/workload/histogram writes
// (histogram.go: `type SnapshotTick struct { Name string; Hist *hdrhistogram.Snapshot;
// Elapsed time.Duration; Now time.Time }`, encoded by Go's encoding/json without tags, so the
// keys are the field names; Elapsed is nanoseconds, Now an RFC 3339 time). Hist is
// github.com/codahale/hdrhistogram's Snapshot {LowestTrackableValue, HighestTrackableValue,
// SignificantFigures, Counts}: values are nanoseconds and Counts is the HdrHistogram counts
// array (bucket/sub-bucket layout of HdrHistogram, the same as hdr-histogram-js with the same
// parameters). Trailing zero counts are left out; codahale's Import reads a shorter array.
// CockroachDB records with 1 significant figure; we record with 3, the precision `movr run`
// prints, so a decoded file gives exactly the printed percentiles. Readers use the parameters
// in each snapshot.
//
// MovR's additions ride in one more key, `MovR`, that CockroachDB's reader ignores: its
// DecodeSnapshots decodes each line into SnapshotTick with encoding/json, which skips keys that
// match no field (Go's encoding/json documentation, Unmarshal). `MovR.Errors` is the operation's
// errors of the tick by SQLSTATE; `MovR.Retries` the run's transaction retries of the tick (on
// the tick's first line only, retries are not told apart by operation); `MovR.Settings` the
// run's settings (on the file's first line). ADR 017 says why there and not in a second file.
import { isOnCalendar } from "../shared/calendar.ts";

/** The histogram parameters of `movr run` (src/workload/stats.ts records with the same). */
export const HISTOGRAM_LAYOUT = {
  lowestNs: 1000,
  highestNs: 3_600_000_000_000,
  significantFigures: 3,
} as const;

export interface HdrSnapshot {
  LowestTrackableValue: number;
  HighestTrackableValue: number;
  SignificantFigures: number;
  Counts: number[];
}

/** How a run was set up, as the report shows it. */
export interface RunSettings {
  /** Where it ran: a URL without its password, or the embedded database's description. */
  database: string;
  concurrency: number;
  readPercent: number;
  /** The write tick's choices and their probabilities (workload.ts WRITE_MIX). */
  writeMix: Record<string, number>;
  cities: string[];
  /** 0: until interrupted. */
  durationMs: number;
  maxRate: number;
  seed: number;
  followerReads: boolean;
  movrVersion: string;
  startedAt: string;
}

/** The key CockroachDB's readers ignore. */
export interface MovrTickExtras {
  /** This operation's errors in this tick, by SQLSTATE (or driver code). */
  Errors?: Record<string, number>;
  /** The run's transaction retries in this tick (on the tick's first line). */
  Retries?: number;
  /** On the file's first line. */
  Settings?: RunSettings;
}

export interface SnapshotTick {
  Name: string;
  Hist: HdrSnapshot;
  /** Nanoseconds since the previous tick of this name. */
  Elapsed: number;
  /** When the tick was taken: it covers [Now - Elapsed, Now). */
  Now: string;
  MovR?: MovrTickExtras;
}

const TWO_32 = 2 ** 32;

function bitLength(x: number): number {
  const hi = Math.floor(x / TWO_32);
  return hi > 0 ? 64 - Math.clz32(hi) : 32 - Math.clz32(x >>> 0);
}

/** HdrHistogram's counts-array arithmetic (Java HdrHistogram, codahale/hdrhistogram) for one layout. */
export class HdrLayout {
  readonly unitMagnitude: number;
  readonly subBucketHalfCountMagnitude: number;
  readonly subBucketCount: number;
  readonly subBucketHalfCount: number;
  private readonly subBucketMask: number;

  constructor(
    readonly lowest: number,
    readonly highest: number,
    readonly significantFigures: number,
  ) {
    const largestSingleUnit = 2 * 10 ** significantFigures;
    const subBucketCountMagnitude = Math.ceil(Math.log2(largestSingleUnit));
    this.subBucketHalfCountMagnitude = Math.max(subBucketCountMagnitude, 1) - 1;
    this.unitMagnitude = Math.max(0, Math.floor(Math.log2(lowest)));
    this.subBucketCount = 2 ** (this.subBucketHalfCountMagnitude + 1);
    this.subBucketHalfCount = this.subBucketCount / 2;
    this.subBucketMask = (this.subBucketCount - 1) * 2 ** this.unitMagnitude;
  }

  private bucketIndex(value: number): number {
    // 64 - unitMagnitude - (subBucketHalfCountMagnitude + 1) - leadingZeros(value | mask); the
    // mask fills every bit below its top, so value | mask has the bit length of the larger.
    return (
      bitLength(Math.max(value, this.subBucketMask)) -
      this.unitMagnitude -
      (this.subBucketHalfCountMagnitude + 1)
    );
  }

  private subBucketIndex(value: number, bucket: number): number {
    return Math.floor(value / 2 ** (bucket + this.unitMagnitude));
  }

  /** Where `value` is counted. */
  indexOf(value: number): number {
    const bucket = this.bucketIndex(value);
    const sub = this.subBucketIndex(value, bucket);
    return (bucket + 1) * 2 ** this.subBucketHalfCountMagnitude + (sub - this.subBucketHalfCount);
  }

  /**
   * The length of the layout's counts array (Java HdrHistogram's countsArrayLength: buckets to
   * cover the highest value, plus one, times half a bucket's sub-buckets).
   */
  get countsLength(): number {
    let smallestUntrackable = this.subBucketCount * 2 ** this.unitMagnitude;
    let buckets = 1;
    while (smallestUntrackable <= this.highest) {
      if (smallestUntrackable > INT64_MAX / 4) {
        buckets++;
        break;
      }
      smallestUntrackable *= 2;
      buckets++;
    }
    return (buckets + 1) * this.subBucketHalfCount;
  }

  /** The lowest value counted at `index`. */
  valueAt(index: number): number {
    let bucket = Math.floor(index / 2 ** this.subBucketHalfCountMagnitude) - 1;
    let sub = (index % this.subBucketHalfCount) + this.subBucketHalfCount;
    if (bucket < 0) {
      sub -= this.subBucketHalfCount;
      bucket = 0;
    }
    return sub * 2 ** (bucket + this.unitMagnitude);
  }

  /** The highest value counted at the same index as `value`. */
  highestEquivalent(value: number): number {
    const bucket = this.bucketIndex(value);
    const sub = this.subBucketIndex(value, bucket);
    const adjusted = sub >= this.subBucketCount ? bucket + 1 : bucket;
    const lowest = sub * 2 ** (bucket + this.unitMagnitude);
    return lowest + 2 ** (this.unitMagnitude + adjusted) - 1;
  }
}

/** One tick's latencies of one operation, in the counts layout of the file. */
export class TickHistogram {
  private counts: number[] = [];
  private readonly layout = new HdrLayout(
    HISTOGRAM_LAYOUT.lowestNs,
    HISTOGRAM_LAYOUT.highestNs,
    HISTOGRAM_LAYOUT.significantFigures,
  );

  /** Records a latency in nanoseconds (clamped to the layout's range, as CockroachDB does). */
  record(ns: number): void {
    const v = Math.min(HISTOGRAM_LAYOUT.highestNs, Math.max(HISTOGRAM_LAYOUT.lowestNs, Math.round(ns)));
    const i = this.layout.indexOf(v);
    while (this.counts.length <= i) this.counts.push(0);
    this.counts[i]! += 1;
  }

  /** The snapshot so far, and a fresh start. */
  take(): HdrSnapshot {
    const counts = this.counts;
    this.counts = [];
    return {
      LowestTrackableValue: HISTOGRAM_LAYOUT.lowestNs,
      HighestTrackableValue: HISTOGRAM_LAYOUT.highestNs,
      SignificantFigures: HISTOGRAM_LAYOUT.significantFigures,
      Counts: counts,
    };
  }
}

/** One line of the file. */
export function encodeTick(tick: SnapshotTick): string {
  return JSON.stringify({
    Name: tick.Name,
    Hist: tick.Hist,
    Elapsed: Math.round(tick.Elapsed),
    Now: tick.Now,
    ...(tick.MovR ? { MovR: tick.MovR } : {}),
  });
}

function isTick(t: unknown): t is SnapshotTick {
  if (typeof t !== "object" || t === null) return false;
  const tick = t as Partial<SnapshotTick>;
  const h = tick.Hist as Partial<HdrSnapshot> | undefined;
  return (
    typeof tick.Name === "string" &&
    typeof tick.Elapsed === "number" &&
    typeof tick.Now === "string" &&
    typeof h === "object" &&
    h !== null &&
    typeof h.LowestTrackableValue === "number" &&
    typeof h.HighestTrackableValue === "number" &&
    typeof h.SignificantFigures === "number" &&
    Array.isArray(h.Counts)
  );
}

const RFC3339_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/;

/**
 * Go's time.Time in JSON (RFC 3339, up to nanoseconds), on the calendar. Not Date.parse alone,
 * which reads "1" as 2001-01-01, "0002-01-01 00:00:00+0000" as 2001-02-01 and rolls 02-30 into March.
 */
function isRfc3339(text: string): boolean {
  const m = RFC3339_RE.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second, offHour, offMinute] = m
    .slice(1)
    .map((v) => Number(v ?? 0)) as number[];
  return (
    isOnCalendar(year!, month!, day!, hour, minute, second) &&
    offHour! <= 23 &&
    offMinute! <= 59 &&
    !Number.isNaN(Date.parse(text))
  );
}

const isCount = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Go's int64, the type of the layout's values in HdrHistogram's Go readers. */
const INT64_MAX = 2 ** 63;

/**
 * What is wrong with a tick's values, in a few words naming the field, or undefined. A layout
 * is HdrHistogram's when its Go readers (codahale/hdrhistogram and HdrHistogram/hdrhistogram-go,
 * New) would make it: 1 to 5 significant figures, a lowest value of at least 1 (Java
 * HdrHistogram's lowestDiscernibleValue) and a highest of at least twice that; its counts are
 * whole numbers and no more than the layout has.
 */
function tickProblem(tick: SnapshotTick): string | undefined {
  const h = tick.Hist;
  if (!Number.isInteger(h.SignificantFigures) || h.SignificantFigures < 1 || h.SignificantFigures > 5) {
    return `Hist.SignificantFigures is ${h.SignificantFigures}; HdrHistogram takes 1 to 5`;
  }
  if (!Number.isSafeInteger(h.LowestTrackableValue) || h.LowestTrackableValue < 1) {
    return `Hist.LowestTrackableValue is ${h.LowestTrackableValue}; HdrHistogram takes a whole number from 1 to 2^53`;
  }
  if (
    !Number.isInteger(h.HighestTrackableValue) ||
    h.HighestTrackableValue < 2 * h.LowestTrackableValue ||
    h.HighestTrackableValue > INT64_MAX
  ) {
    return `Hist.HighestTrackableValue is ${h.HighestTrackableValue}; HdrHistogram takes a whole number of at least twice Hist.LowestTrackableValue (${h.LowestTrackableValue})`;
  }
  if (!h.Counts.every(isCount))
    return "Hist.Counts holds something other than counts (whole numbers from 0 to 2^53)";
  const length = new HdrLayout(h.LowestTrackableValue, h.HighestTrackableValue, h.SignificantFigures)
    .countsLength;
  if (h.Counts.length > length) {
    return `Hist.Counts has ${h.Counts.length} counts; the layout has ${length}`;
  }
  if (!isRfc3339(tick.Now)) {
    return `Now is ${JSON.stringify(tick.Now.slice(0, 40))}; a time is RFC 3339 as Go writes it, such as 2026-01-01T00:00:00Z`;
  }
  if (!isCount(tick.Elapsed))
    return `Elapsed is ${tick.Elapsed}; a duration is whole nanoseconds from 0 to 2^53`;
  if (tick.MovR === undefined) return undefined;
  const m: unknown = tick.MovR;
  if (!isRecord(m)) return "MovR is not an object";
  if (m.Errors !== undefined && !(isRecord(m.Errors) && Object.values(m.Errors).every(isCount))) {
    return "MovR.Errors is not counts by SQLSTATE";
  }
  if (m.Retries !== undefined && !isCount(m.Retries)) return "MovR.Retries is not a count";
  if (m.Settings !== undefined && !isSettings(m.Settings)) return "MovR.Settings is not a run's settings";
  return undefined;
}

function isSettings(s: unknown): s is RunSettings {
  if (!isRecord(s)) return false;
  const strings = ["database", "movrVersion", "startedAt"] as const;
  const numbers = ["concurrency", "readPercent", "durationMs", "maxRate", "seed"] as const;
  return (
    strings.every((k) => typeof s[k] === "string") &&
    numbers.every((k) => typeof s[k] === "number") &&
    typeof s.followerReads === "boolean" &&
    Array.isArray(s.cities) &&
    s.cities.every((c) => typeof c === "string") &&
    isRecord(s.writeMix) &&
    Object.values(s.writeMix).every((p) => typeof p === "number")
  );
}

/** One line of a histogram file (1-based `lineNo`): its tick, or undefined for a blank line. */
export function decodeTickLine(line: string, lineNo: number): SnapshotTick | undefined {
  // A byte-order mark, as some Windows editors and tools write, is not part of the first tick.
  if (lineNo === 1 && line.startsWith("\uFEFF")) line = line.slice(1);
  if (line.trim() === "") return undefined;
  let tick: SnapshotTick;
  try {
    tick = JSON.parse(line) as SnapshotTick;
  } catch {
    throw new Error(`line ${lineNo} is not JSON`);
  }
  if (!isTick(tick)) {
    throw new Error(`line ${lineNo} is not a histogram tick (Name, Hist, Elapsed, Now)`);
  }
  const problem = tickProblem(tick);
  if (problem !== undefined) throw new Error(`line ${lineNo}: ${problem}`);
  return tick;
}

/** The ticks of a histogram file by operation name, in file order (CockroachDB's DecodeSnapshots). */
export function decodeHistogramFile(text: string): Map<string, SnapshotTick[]> {
  const out = new Map<string, SnapshotTick[]>();
  text.split("\n").forEach((line, n) => {
    const tick = decodeTickLine(line, n + 1);
    if (!tick) return;
    const list = out.get(tick.Name) ?? [];
    list.push(tick);
    out.set(tick.Name, list);
  });
  return out;
}

/**
 * The moments of a histogram file read a line at a time (a long run's file is larger than a
 * string can be): the ticks of one moment are consecutive lines with the same Now, as
 * CockroachDB's Registry.Tick and `movr run` write them, and moments go forward in time.
 */
export async function* histogramMoments(lines: AsyncIterable<string>): AsyncGenerator<SnapshotTick[]> {
  let moment: SnapshotTick[] = [];
  let lastMs = -Infinity;
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    const tick = decodeTickLine(line, lineNo);
    if (!tick) continue;
    if (moment.length > 0 && tick.Now !== moment[0]!.Now) {
      yield moment;
      moment = [];
    }
    if (moment.length === 0) {
      const ms = Date.parse(tick.Now);
      if (ms <= lastMs) {
        throw new Error(
          `line ${lineNo}: Now ${tick.Now} is not after the ticks before it (a file's ticks go forward in time)`,
        );
      }
      lastMs = ms;
    }
    moment.push(tick);
  }
  if (moment.length > 0) yield moment;
}

/** Counts merged over ticks of one layout, with what HdrHistogram reports of them. */
export class DecodedHistogram {
  readonly counts: number[] = [];
  readonly layout: HdrLayout;
  total = 0;

  constructor(first: HdrSnapshot) {
    this.layout = new HdrLayout(
      first.LowestTrackableValue,
      first.HighestTrackableValue,
      first.SignificantFigures,
    );
  }

  add(s: HdrSnapshot): void {
    s.Counts.forEach((c, i) => {
      if (c === 0) return;
      while (this.counts.length <= i) this.counts.push(0);
      this.counts[i]! += c;
      this.total += c;
    });
  }

  /**
   * HdrHistogram's getValueAtPercentile (the highest equivalent value; the lowest for p0), in
   * the file's unit (ns).
   */
  valueAtPercentile(percentile: number): number {
    if (this.total === 0) return 0;
    const wanted = Math.max(1, Math.ceil((Math.min(percentile, 100) / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= wanted) {
        const value = this.layout.valueAt(i);
        return percentile === 0 ? value : this.layout.highestEquivalent(value);
      }
    }
    return 0;
  }
}

/** Every tick of one operation merged (its whole run). */
export function mergeTicks(ticks: readonly SnapshotTick[]): DecodedHistogram | undefined {
  const first = ticks[0];
  if (!first) return undefined;
  const merged = new DecodedHistogram(first.Hist);
  for (const t of ticks) merged.add(t.Hist);
  return merged;
}
