import { runTransaction } from "../db/transaction.ts";
import type { MovrContext } from "../shared/context.ts";
import { DomainError } from "../shared/errors.ts";
import { findUserByUsername } from "../users/user.repository.ts";
import { register } from "./auth.service.ts";

/** Local embedded demos only: a known login, so a newcomer can click around at once. */
export const DEMO_LOGIN = { username: "demo", password: "demo-rider-1" } as const;

export async function ensureDemoLogin(ctx: MovrContext): Promise<void> {
  // A read first: register hashes the password (scrypt, a fifth of a second of CPU) before it
  // finds the name taken, and every restart would pay for that.
  const existing = await runTransaction(ctx.database, (tx) => findUserByUsername(tx, DEMO_LOGIN.username), {
    readOnly: true,
  });
  if (existing) return;
  try {
    await register(ctx, {
      city: ctx.cities[0] ?? "new york",
      name: "Demo Rider",
      username: DEMO_LOGIN.username,
      email: "demo@movr.example",
      password: DEMO_LOGIN.password,
    });
  } catch (err) {
    if (!(err instanceof DomainError && err.code === "username_taken")) throw err;
  }
}
