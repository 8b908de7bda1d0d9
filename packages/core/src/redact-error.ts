import { redactTokens } from "./redact-tokens.js";

const maxDepth = 8;
const skipped = new Set(["name", "message", "stack", "cause", "errors"]);

/**
 * A safe copy of an error that came from outside (a credential, an abort reason), to keep as the
 * `cause` of our own errors. Keeps what helps to understand the failure: the class name (as
 * `name`), the message and stack with tokens replaced, the primitive own properties (`code`,
 * `statusCode`, …; strings redacted) and, copied the same way, its `cause` chain and `errors`
 * list. Drops every object-valued property (requests, responses, headers, bodies): they can hold a
 * token in a shape that cannot be recognised.
 */
export function redactError(value: unknown, depth = 0): Error {
  if (!isErrorLike(value)) return new Error(redactTokens(describe(value)));
  const message = redactTokens(typeof value.message === "string" ? value.message : describe(value.message));
  const copy = new Error(message);
  const name = typeof value.name === "string" && value.name !== "" ? redactTokens(value.name) : "Error";
  Object.defineProperty(copy, "name", { value: name, enumerable: false, writable: true, configurable: true });
  const stack = typeof value.stack === "string" ? redactTokens(value.stack) : `${name}: ${message}`;
  Object.defineProperty(copy, "stack", { value: stack, enumerable: false, writable: true, configurable: true });
  for (const key of Object.getOwnPropertyNames(value)) {
    if (skipped.has(key)) continue;
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (descriptor === undefined || !("value" in descriptor)) continue;
    const property = descriptor.value as unknown;
    const safe =
      typeof property === "string"
        ? redactTokens(property)
        : typeof property === "number" || typeof property === "boolean" || property === null
          ? property
          : undefined;
    if (safe !== undefined)
      Object.defineProperty(copy, key, {
        value: safe,
        enumerable: descriptor.enumerable ?? true,
        writable: true,
        configurable: true,
      });
  }
  if (depth < maxDepth) {
    if ("cause" in value && value.cause !== undefined) {
      Object.defineProperty(copy, "cause", {
        value: redactError(value.cause, depth + 1),
        enumerable: false,
        writable: true,
        configurable: true,
      });
    }
    const errors = (value as { errors?: unknown }).errors;
    if (Array.isArray(errors)) {
      const list = errors.slice(0, 16).map((e) => redactError(e, depth + 1));
      Object.defineProperty(copy, "errors", { value: list, enumerable: false, writable: true, configurable: true });
    }
  }
  return copy;
}

function isErrorLike(value: unknown): value is { name?: unknown; message?: unknown; stack?: unknown; cause?: unknown } {
  return (
    value instanceof Error || (typeof value === "object" && value !== null && "message" in value && "stack" in value)
  );
}

function describe(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined || typeof value !== "object") return String(value);
  try {
    return JSON.stringify(value) ?? Object.prototype.toString.call(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
