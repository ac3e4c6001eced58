/** How a store call ended, as the store tests compare it: "CODE: message" of its ParzenError, or "resolved". */
import { ParzenError } from "../../src/errors.js";

export async function outcomeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return err instanceof ParzenError ? `${err.code}: ${err.message}` : `not a ParzenError: ${String(err)}`;
  }
  return "resolved";
}
