/**
 * Parses algorithm (and pruner) options given as typed scalars with a zod
 * schema, turning schema failures into INVALID_ARGUMENT messages that name
 * the option.
 */
import type { z } from "zod";
import { invalidArgument } from "../errors.js";
import type { Scalar } from "../space/types.js";

export function parseOptionsWith<S extends z.ZodType>(
  owner: string,
  schema: S,
  raw: Readonly<Record<string, Scalar>>,
): z.infer<S> {
  const plain: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) plain[k] = v.value;
  const result = schema.safeParse(plain);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    const known = "shape" in schema ? Object.keys(schema.shape as object).sort() : [];
    throw invalidArgument(
      `${owner} options: unknown option ${issue.keys.map((k) => `"${k}"`).join(", ")}${suggestion(issue.keys[0]!, known)}`,
    );
  }
  const path = issue.path.join(".");
  throw invalidArgument(`${owner} options: "${path}" ${issue.message}`);
}

/** " (did you mean "x"?)" for a name within two edits of a known one, else " (known: a, b)"; "" when none is known. */
export function suggestion(name: string, known: readonly string[]): string {
  if (known.length === 0) return "";
  let best = "";
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best !== "" ? ` (did you mean "${best}"?)` : ` (known: ${known.join(", ")})`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
