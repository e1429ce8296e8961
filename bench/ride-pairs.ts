// The start-ride / end-ride load of the HTTP benches (http.bench.ts, start.bench.ts), as
// autocannon requests. A pair (rider + vehicle) is taken from a shared pool when a connection
// starts a ride and returned when it ends it, so pairs repeat for as long as the run lasts and no
// two connections ever hold the same rider or vehicle.
import type autocannon from "autocannon";

export interface RiderPair {
  token: string;
  vehicleId: string;
}

/** The step that failed, its status and body: for counting and printing failures. */
export type RideFailure = (step: "start" | "end", status: number, body: string) => void;

/** The two requests of a ride pair in `city`, over `pairs`; `onFailure` hears each non-2xx. */
export function ridePairRequests(
  city: string,
  pairs: RiderPair[],
  onFailure: RideFailure = () => {},
): autocannon.Request[] {
  const free = [...pairs];
  interface Ctx {
    pair?: RiderPair;
    rideId?: string;
  }
  const json = (pair: RiderPair) => ({
    "content-type": "application/json",
    authorization: `Bearer ${pair.token}`,
  });
  return [
    {
      method: "POST",
      path: "/api/v1/rides",
      setupRequest: (req, context) => {
        const c = context as Ctx;
        // Out of pairs (too many sat out): reuse a busy one; it fails with a 409, counted.
        const pair = free.pop() ?? pairs[Math.floor(Math.random() * pairs.length)]!;
        c.pair = pair;
        return {
          ...req,
          headers: json(pair),
          body: JSON.stringify({ city, vehicleId: pair.vehicleId }),
        };
      },
      onResponse: (status, body, context) => {
        const c = context as Ctx;
        if (status === 201) {
          c.rideId = (JSON.parse(body) as { ride: { id: string } }).ride.id;
        } else {
          onFailure("start", status, body);
          // A 409 means the pair is in a state the next run cannot use; anything else
          // (503: retries exhausted) rolled back, so the pair is as good as before.
          if (c.pair && status !== 409) free.push(c.pair);
          c.pair = undefined;
          c.rideId = undefined;
        }
      },
    },
    {
      method: "POST",
      setupRequest: (req, context) => {
        const c = context as Ctx;
        // A failed start: skip the end and start over (autocannon restarts on a falsy return).
        if (!c.rideId || !c.pair) return undefined as unknown as autocannon.Request;
        return {
          ...req,
          path: `/api/v1/cities/${encodeURIComponent(city)}/rides/${c.rideId}/end`,
          headers: json(c.pair),
          body: JSON.stringify({ location: "2 Bench St" }),
        };
      },
      onResponse: (status, body, context) => {
        const c = context as Ctx;
        // A ride that failed to end stays active: its pair sits out for the rest of the run.
        if (status !== 200) onFailure("end", status, body);
        else if (c.pair) free.push(c.pair);
        c.pair = undefined;
        c.rideId = undefined;
      },
    },
  ];
}
