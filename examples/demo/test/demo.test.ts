// `pnpm demo` is the project's main job: it must run to the end and tell the story.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const demo = fileURLToPath(new URL("../dist/demo.js", import.meta.url));

describe("the demo", () => {
  it("runs every scene and exits 0", async () => {
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, [demo], { encoding: "utf8", timeout: 150_000 }, (error, stdout) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
      );
    });
    expect(code, stdout).toBe(0);
    expect(stdout).toMatch(
      /Role name "orders-api-identity" from the managed identity's name in the token's xms_mirid claim/,
    );
    expect(stdout).toMatch(/Role name "alice@contoso.com" from the token's upn claim/);
    expect(stdout).toMatch(/connected as orders-api-identity on 5 backend session\(s\)/);
    expect(stdout).toMatch(/emulator: 1 managed identity endpoint request\(s\)/);
    expect(stdout).toMatch(/emulator: 1 az process\(es\) spawned/);
    expect(stdout).toMatch(/connected as db-readers/);
    expect(stdout).toMatch(
      /the client knows only: postgresql:\/\/orders-api-identity@127\.0\.0\.1:\d+\/appdb\?sslmode=disable/,
    );
    expect(stdout).toMatch(/connected as orders-api-identity to database appdb/);
    expect(stdout).toMatch(/proxy stopped on SIGTERM \(exit 0\)/);
    expect(stdout).toMatch(/past its refresh point/);
    expect(stdout).toMatch(/0 logins refused by the server/);
    expect(stdout).toMatch(/every login succeeded/);
    expect(stdout).not.toMatch(/eyJ[\w-]+\.eyJ/);
  });
});
