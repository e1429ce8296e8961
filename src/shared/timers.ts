// Node's timers hold a delay of at most 2^31 − 1 ms (about 24.8 days): a longer one fires after
// 1 ms, with a TimeoutOverflowWarning on stderr. Delays that follow from user input (a run's
// --duration, --max-rate's spacing) are bounded by MAX_TIMER_MS or waited out with pause().
import { setTimeout as sleep } from "node:timers/promises";

export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Waits `ms` of any length, in steps Node can time, or until `signal` aborts; never rejects. */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  let left = ms;
  while (left > 0 && !signal?.aborted) {
    const step = Math.min(left, MAX_TIMER_MS);
    await sleep(step, undefined, { signal }).catch(() => undefined);
    left -= step;
  }
}
