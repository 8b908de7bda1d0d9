import { EntraAuthError } from "./entra-auth-error.js";

/**
 * The `INVALID_OPTION` error: names the option, the expected type and the type that
 * was given (never the value itself: a misplaced token must not end up in a message).
 */
export function invalidOption(option: string, expected: string, got: unknown): EntraAuthError {
  const subject = option === "options" ? "The options argument" : `The ${option} option`;
  return new EntraAuthError("INVALID_OPTION", `${subject} must be ${expected} (got ${describeType(got)}).`);
}

/** The type of a value in words: `null`, `an array`, `NaN`, `a number (-1)` for numbers, else `a string` etc. */
export function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isNaN(value) ? "NaN" : `the number ${value}`;
  if (typeof value === "boolean") return String(value);
  if (value === undefined) return "undefined";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
