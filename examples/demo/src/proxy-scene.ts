// Scene: a client that only knows a plain connection string (no password, no TLS settings, no
// Azure SDK) logs in through `azure-postgresql-auth proxy`, which holds the managed identity.
import { execFile, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Emulator } from "@azure/postgresql-auth-emulator";
import type { Narrator } from "./narrator.js";

const cli = join(
  dirname(createRequire(import.meta.url).resolve("@azure/postgresql-auth-cli/package.json")),
  "dist",
  "esm",
  "cli.js",
);

// The "legacy" client: pg with nothing but a URL. It could as well be psql, a GUI or a migration tool.
const PLAIN_CLIENT = `
const pg = require("pg");
const client = new pg.Client({ connectionString: process.argv[1] });
client.connect()
  .then(() => client.query("select current_user, current_database()"))
  .then(({ rows }) => { console.log(rows[0].current_user + " " + rows[0].current_database); return client.end(); })
  .catch((e) => { console.error(e.message); process.exit(1); });
`;

/** Runs the scene; true when the plain client logged in. */
export async function proxyScene(emu: Emulator, narrator: Narrator, appEnv: NodeJS.ProcessEnv): Promise<boolean> {
  const proxy = spawn(
    process.execPath,
    [
      cli,
      "proxy",
      "--host",
      emu.host,
      "--port",
      String(emu.port),
      "--listen-port",
      "0",
      "--json-logs",
      "--max-sigterm-delay",
      "5",
    ],
    { env: appEnv, stdio: ["ignore", "ignore", "pipe"] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = "";
    proxy.stderr!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        const event = JSON.parse(line) as { event?: string; tcp?: string };
        if (event.event === "listening" && event.tcp) resolve(Number(event.tcp.split(":").at(-1)));
      }
    });
    proxy.once("exit", (code) => reject(new Error(`the proxy exited with ${code}`)));
  });
  const exited = new Promise<number | null>((resolve) => proxy.once("exit", resolve));
  try {
    narrator.say(
      `azure-postgresql-auth proxy --host ${emu.host} --port ${emu.port}   (listening on 127.0.0.1:${port}, as the managed identity)`,
    );
    const url = `postgresql://${emu.principals.managedIdentity.roleName}@127.0.0.1:${port}/${emu.database}?sslmode=disable`;
    narrator.say(`the client knows only: ${url}`);
    // No password, no Azure variables: the client has no way to get a token itself.
    const clientEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH };
    const { ok, output } = await new Promise<{ ok: boolean; output: string }>((resolve) =>
      execFile(
        process.execPath,
        ["-e", PLAIN_CLIENT, url],
        { env: clientEnv, cwd: fileURLToPath(new URL("..", import.meta.url)) },
        (error, stdout, stderr) => resolve({ ok: !error, output: (stdout || stderr).trim() }),
      ),
    );
    narrator.say(ok ? `connected as ${output.replace(" ", " to database ")}` : `✗ ${output}`);
    return ok;
  } finally {
    proxy.kill("SIGTERM");
    narrator.say(`proxy stopped on SIGTERM (exit ${await exited})`);
  }
}
