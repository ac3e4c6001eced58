/**
 * What a name or key may hold. Names are shown to people (dashboards, CSV
 * headers, logs, terminals) and used as identifiers, so characters that are
 * invisible or change how the text around them displays are refused: NUL
 * and the other C0/C1 control characters, DEL, line and paragraph
 * separators, and the bidirectional controls with which "x\u202Etxt.exe"
 * displays as "xexe.txt". U+FFFD is refused too: it is what invalid UTF-8
 * decodes to, so a name holding it was almost certainly mangled on its way.
 */
import { invalidArgument } from "../errors.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this finds
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufffd]/;

const hex = (c: string): string => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;

/** Why `name` is not acceptable, or undefined when it is. */
export function nameProblem(name: string): string | undefined {
  const m = FORBIDDEN.exec(name);
  if (m === null) return undefined;
  const c = m[0];
  if (c === "\u0000") return "contains a NUL character";
  if (c === "\ufffd") return "contains U+FFFD, the replacement character (text that was not valid UTF-8)";
  if (c === "\u2028" || c === "\u2029") return `contains the line or paragraph separator ${hex(c)}`;
  if (c <= "\u009f") return `contains the control character ${hex(c)}`;
  return `contains the bidirectional control ${hex(c)}, which makes a name display as something it is not`;
}

/** `name` quoted for a message, every refused character spelled as \uXXXX so the message itself displays safely. */
export function quoteName(name: string): string {
  const short = name.length > 40 ? `${name.slice(0, 40)}…` : name;
  return `"${short.replace(new RegExp(FORBIDDEN.source, "g"), (c) => `\\u${hex(c).slice(2)}`)}"`;
}

/** Throws INVALID_ARGUMENT "`field`: <what> "<name>" <why>" when `name` holds a refused character. */
export function checkName(name: string, field: string, what: string): void {
  const problem = nameProblem(name);
  if (problem !== undefined) throw invalidArgument(`${field}: ${what} ${quoteName(name)} ${problem}`);
}
