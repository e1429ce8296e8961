// The ride-pair load of the HTTP benches (bench/ride-pairs.ts): which pair each request takes,
// driven by hand as autocannon would drive it, with no server.
import type autocannon from "autocannon";
import { describe, expect, it, vi } from "vitest";
import { ridePairRequests, type RiderPair } from "../../bench/ride-pairs.ts";

const A: RiderPair = { token: "ta", vehicleId: "va" };
const B: RiderPair = { token: "tb", vehicleId: "vb" };

type Setup = (req: autocannon.Request, context: object) => autocannon.Request;
type OnResponse = (status: number, body: string, context: object) => void;

function driver(pairs: RiderPair[], failures: string[] = []) {
  const [start, end] = ridePairRequests("boston", pairs, (step, status) =>
    failures.push(`${step} ${status}`),
  );
  const setup = (r: autocannon.Request, c: object) => (r.setupRequest as Setup)(r, c);
  const answer = (r: autocannon.Request, status: number, body: string, c: object) =>
    (r.onResponse as OnResponse)(status, body, c);
  const vehicle = (req: autocannon.Request) =>
    (JSON.parse(String(req.body)) as { vehicleId: string }).vehicleId;
  return {
    /** Starts a ride on a connection; the vehicle it asked for. */
    start: (c: object, status = 201, id = "r1") => {
      const v = vehicle(setup(start!, c));
      answer(start!, status, status === 201 ? JSON.stringify({ ride: { id } }) : "{}", c);
      return v;
    },
    /** Ends it; the path asked for, or undefined when the end is skipped. */
    end: (c: object, status = 200) => {
      const req = setup(end!, c) as autocannon.Request | undefined;
      if (req) answer(end!, status, "{}", c);
      return req?.path;
    },
  };
}

describe("ridePairRequests", () => {
  it("gives each connection a pair of its own and takes it back once the ride ended", () => {
    const d = driver([A, B]);
    const c1 = {};
    const c2 = {};
    const first = d.start(c1);
    expect(d.start(c2)).not.toBe(first);
    expect(d.end(c1)).toBe("/api/v1/cities/boston/rides/r1/end");
    expect(d.start({})).toBe(first);
  });

  it.each([
    ["a start answered 409", 409, undefined],
    ["an end that failed", 201, 503],
  ])("keeps out the pair of %s; out of pairs, it reuses a busy one", (_, startStatus, endStatus) => {
    // Out of pairs, the busy one reused is picked at random: pairs[0] (A) here.
    const random = vi.spyOn(Math, "random").mockReturnValue(0);
    try {
      const failures: string[] = [];
      const d = driver([A, B], failures);
      const c1 = {};
      expect(d.start(c1, startStatus)).toBe(B.vehicleId);
      if (endStatus) d.end(c1, endStatus);
      else expect(d.end(c1)).toBeUndefined();
      expect(d.start({})).toBe(A.vehicleId);
      // The pool is empty now: B was kept out, so the reused pair is A, not B.
      expect(d.start({})).toBe(A.vehicleId);
      expect(failures).toEqual([endStatus ? `end ${endStatus}` : `start ${startStatus}`]);
    } finally {
      random.mockRestore();
    }
  });

  it("puts a pair whose start rolled back (503) back in the pool", () => {
    const d = driver([A]);
    const c = {};
    const v = d.start(c, 503);
    expect(d.start({})).toBe(v);
  });
});
