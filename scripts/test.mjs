// `pnpm test`: everything CI runs, shaped to the machine it runs on.
//   1. Biome (format and lint), `changeset status` and turbo.json's inputs (check-turbo-inputs.mjs);
//   2. through turbo, every package's typecheck, test:unit, check:package and test:integration;
//   3. one closing line "N passed, N failed" (scripts/test-summary.mjs) and the wall time.
//
// How many turbo tasks run at once comes from the core count (see `concurrency` below), not a
// constant: on 2 cores turbo's default of 10 tasks put the load average at 15 and made tests that
// take 1 s alone take 5-12 s. TEST_CONCURRENCY=N overrides it (for measuring).
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";

const root = new URL("..", import.meta.url).pathname;
const cores = availableParallelism();

// The tasks are of two kinds (node scripts/profile-tasks.mjs measures them one by one): type checks,
// unit tests and package checks keep 1.2-1.5 cores busy while they run; integration tests wait for
// token lifetimes to pass and use about half a core. One task per core plus one keeps every core
// busy while an integration test waits, without queueing CPU-bound tasks behind each other.
// biome-ignore lint/suspicious/noUndeclaredEnvVars: read by this script only, not by any cached task
const concurrency = Number(process.env.TEST_CONCURRENCY) || cores + 1;

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env: { ...process.env } });
  if (result.status !== 0) {
    console.error(`\npnpm test: \`${[command, ...args].join(" ")}\` failed`);
    process.exit(result.status || 1);
  }
}

const started = Date.now();
run("biome", ["ci", "--error-on-warnings", "."]);
run("changeset", ["status"]);
run(process.execPath, ["scripts/check-turbo-inputs.mjs"]);
run(process.execPath, ["scripts/test-summary.mjs", "--reset"]);
console.log(`\npnpm test: ${cores} cores, up to ${concurrency} turbo tasks at once`);
const turbo = spawnSync(
  "turbo",
  ["run", "typecheck", "test:unit", "check:package", "test:integration", `--concurrency=${concurrency}`],
  { cwd: root, stdio: "inherit", env: { TURBO_TELEMETRY_DISABLED: "1", ...process.env } },
);
const summary = spawnSync(process.execPath, ["scripts/test-summary.mjs"], { cwd: root, stdio: "inherit" });
console.log(`pnpm test: ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(turbo.status || summary.status || 0);
