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
    throw invalidArgument(`${owner} options: unknown option ${issue.keys.map((k) => `"${k}"`).join(", ")}`);
  }
  const path = issue.path.join(".");
  throw invalidArgument(`${owner} options: "${path}" ${issue.message}`);
}
