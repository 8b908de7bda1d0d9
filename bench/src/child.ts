/**
 * Entry of a child process: runs one scenario for one contender (request in BENCH_CHILD_REQUEST)
 * and sends the figures to the parent over IPC, then exits (pools, sockets and timers of
 * @azure/identity must not keep it alive).
 */
import { CHILD_REQUEST_ENV, type ChildReply, type ChildRequest } from "./child-process.js";
import { SCENARIOS } from "./scenarios/index.js";

function reply(message: ChildReply, code: number): void {
  if (!process.send) {
    console.error("child.js must be started by the benchmark (IPC channel missing)");
    process.exit(2);
  }
  process.send(message, () => process.exit(code));
}

try {
  const request = JSON.parse(process.env[CHILD_REQUEST_ENV] ?? "null") as ChildRequest | null;
  if (!request) throw new Error(`${CHILD_REQUEST_ENV} is not set`);
  const scenario = SCENARIOS.find((s) => s.id === request.scenario);
  if (!scenario) throw new Error(`unknown scenario ${request.scenario}`);
  const result = await scenario.child(request.contender, request.params);
  reply({ ok: true, result }, 0);
} catch (error) {
  reply({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, 1);
}
