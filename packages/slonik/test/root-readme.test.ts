import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

// The root README shows this package's first README snippet in a ```typescript block; the
// snippet is compiled here (check-readme-snippets), so the copy must stay identical.
const blocks = (file: URL, fence: string) =>
  [...readFileSync(file, "utf8").matchAll(new RegExp(`\`\`\`${fence}\\n([\\s\\S]*?)\`\`\``, "g"))].map((m) => m[1]);

describe("root README", () => {
  it("shows this package's compiled usage snippet unchanged", () => {
    const own = blocks(new URL("../README.md", import.meta.url), "ts")[0];
    expect(own).toBeDefined();
    expect(blocks(new URL("../../../README.md", import.meta.url), "typescript")).toContain(own);
  });
});
