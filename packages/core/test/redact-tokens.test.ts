import { fakeJwt } from "@azure-postgresql-auth/test-support/fakes";
import { describe, expect, it } from "vitest";
import { redactTokens } from "../src/internal.js";

/** The earlier, backtracking definition of a JWT in a text: the linear scan must agree with it. */
const reference = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

describe("redactTokens", () => {
  it("replaces every JWT in a text and leaves the rest", () => {
    const a = fakeJwt({ upn: "a@contoso.com" });
    const b = fakeJwt({ upn: "b@contoso.com" });
    expect(redactTokens(`got ${a}, then (${b}).`)).toBe("got [redacted token], then ([redacted token]).");
    expect(redactTokens("no token here: eyJ.short.x, v1.2.3")).toBe("no token here: eyJ.short.x, v1.2.3");
  });

  it("agrees with the reference pattern on 5,000 random texts made of JWT characters", () => {
    const alphabet = "eyJab.-_ eyJ";
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let n = 0; n < 5_000; n++) {
      let text = "";
      for (let i = 0; i < 40; i++) text += alphabet[Math.floor(random() * alphabet.length)];
      expect(redactTokens(text), text).toBe(text.replace(reference, "[redacted token]"));
    }
  });

  it("handles adversarial megabyte texts (the backtracking pattern took seconds on 64 KB)", () => {
    // Shapes that made the old pattern backtrack: long runs after "eyJ" with no second dot. The
    // speed itself is measured in `pnpm bench` (scenario redaction); here only the result counts.
    const same = (a: string, b: string) => expect(a === b, `${a.slice(0, 40)}… vs ${b.slice(0, 40)}…`).toBe(true);
    same(redactTokens(`eyJ${"a".repeat(1_000_000)}`), `eyJ${"a".repeat(1_000_000)}`);
    same(redactTokens("eyJ".repeat(340_000)), "eyJ".repeat(340_000));
    same(redactTokens(`${"eyJaaaa.".repeat(129_999)}x`), `${"[redacted token].".repeat(43_333)}x`);
    same(redactTokens(`x ${fakeJwt({ n: 1 })} `.repeat(2_000)), "x [redacted token] ".repeat(2_000));
  });
});
