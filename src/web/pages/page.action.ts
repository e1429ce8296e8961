// A form's action: run it, then redirect with its outcome. A service's refusal (any DomainError
// but "unavailable") goes back to the form as a sentence, with what was typed.
import type { FastifyReply, FastifyRequest } from "fastify";
import type { AppConfig } from "../../config.ts";
import { DomainError } from "../../shared/errors.ts";
import { redirectWith } from "./page.flash.ts";

export interface Outcome {
  to: string;
  text: string;
}

export interface Back {
  to: string;
  /** What the user typed, to fill the form in again. */
  keep?: Record<string, string>;
}

export async function act(
  request: FastifyRequest,
  reply: FastifyReply,
  config: AppConfig,
  back: Back,
  action: () => Promise<Outcome>,
): Promise<FastifyReply> {
  let outcome: Outcome;
  try {
    outcome = await action();
  } catch (err) {
    if (err instanceof DomainError && err.code !== "unavailable") {
      return redirectWith(reply, request, config, back.to, {
        kind: "error",
        text: err.message,
        ...(back.keep ? { form: back.keep } : {}),
      });
    }
    throw err;
  }
  return redirectWith(reply, request, config, outcome.to, { kind: "success", text: outcome.text });
}
