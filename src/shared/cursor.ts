// Opaque keyset cursors: clients pass back what we gave them, and cannot forge a malformed one past us.
import { invalid } from "./errors.ts";

export function encodeCursor(parts: string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString("base64url");
}

export function decodeCursor(cursor: string, count: number): string[] {
  try {
    const parts: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(parts) && parts.length === count && parts.every((p) => typeof p === "string")) {
      return parts as string[];
    }
  } catch {
    // fall through to the error below
  }
  throw invalid("after", "is not a cursor this server gave out");
}
