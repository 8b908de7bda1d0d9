// The narrated demo: start the emulator, run the examples with DefaultAzureCredential as an
// Azure app (managed identity) and as a developer (az login), show group login and token rotation.
import { delimiter } from "node:path";
import { AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES, startEmulator } from "@azure/postgresql-auth-emulator";
import { Narrator } from "./narrator.js";
import { proxyScene } from "./proxy-scene.js";
import { examples, runExample } from "./run-example.js";
import { tokenRotation } from "./token-rotation.js";

const narrator = new Narrator();
narrator.scene("Starting the emulator of Azure Database for PostgreSQL with Entra ID login");
const emu = await startEmulator();
let failures = 0;
const check = (ok: boolean, what: string) => {
  if (!ok) {
    failures += 1;
    narrator.say(`✗ ${what}`);
  }
};

try {
  const { user, managedIdentity, servicePrincipal, group } = emu.principals;
  narrator.say(`real PostgreSQL behind a TLS front on ${emu.host}:${emu.port} (it checks tokens as Azure does)`);
  narrator.say(`managed identity endpoint at ${emu.managedIdentityEndpoint} (IDENTITY_ENDPOINT, as on App Service)`);
  narrator.say(
    `roles: ${user.roleName} (user), ${managedIdentity.roleName} (managed identity), ` +
      `${servicePrincipal.roleName} (service principal), ${group.roleName} (group with ${user.roleName})`,
  );

  // Processes run with the emulator's variables, as `azure-postgresql-emulator run` sets them.
  const appEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const key of AZURE_CREDENTIAL_ENVIRONMENT_VARIABLES) delete appEnv[key];
  Object.assign(appEnv, emu.env);
  delete appEnv.PGUSER;
  const az = await emu.createAzStandIn({ principal: user.name });
  const laptopEnv: NodeJS.ProcessEnv = { ...appEnv, PATH: `${az.binDir}${delimiter}${process.env.PATH}` };
  delete laptopEnv.IDENTITY_ENDPOINT;
  delete laptopEnv.IDENTITY_HEADER;
  // Keeps DefaultAzureCredential from probing a VM metadata endpoint that is not there.
  laptopEnv.AZURE_TOKEN_CREDENTIALS = "AzureCliCredential";

  narrator.scene("An App Service app with a managed identity: examples/pg with DefaultAzureCredential");
  emu.resetStats();
  check((await runExample(narrator, examples.pg, appEnv)) === 0, "examples/pg as the managed identity failed");
  narrator.say(
    `emulator: ${emu.stats().tokenRequests.managedIdentityEndpoint} managed identity endpoint request(s) for ${emu.stats().logins.ok} logins`,
  );

  narrator.scene("A developer laptop after `az login`: the same program, DefaultAzureCredential finds the Azure CLI");
  emu.resetStats();
  check((await runExample(narrator, examples.pg, laptopEnv)) === 0, "examples/pg as the developer failed");
  narrator.say(`emulator: ${emu.stats().tokenRequests.az} az process(es) spawned for ${emu.stats().logins.ok} logins`);

  narrator.scene("Sequelize with the managed identity: examples/sequelize");
  check((await runExample(narrator, examples.sequelize, appEnv)) === 0, "examples/sequelize failed");

  narrator.scene(`Group login: the developer connects as role "${group.roleName}" with their own token (DB_ROLE)`);
  check(
    (await runExample(narrator, examples.sequelize, { ...laptopEnv, DB_ROLE: group.roleName })) === 0,
    "group login failed",
  );

  narrator.scene(
    "A client that only knows a plain connection string, no password: through azure-postgresql-auth proxy",
  );
  check(await proxyScene(emu, narrator, appEnv), "the plain client could not log in through the proxy");

  narrator.scene("Token rotation: tokens live 6 seconds; new connections keep logging in across expiry");
  for (const [key, value] of Object.entries(appEnv)) if (value !== undefined) process.env[key] = value;
  check(await tokenRotation(emu, narrator, 6), "a connection was refused during rotation");
} finally {
  await emu.stop();
}

narrator.scene(
  failures === 0 ? `Done in ${narrator.seconds()} s: every login succeeded` : `${failures} step(s) failed`,
);
process.exit(failures === 0 ? 0 : 1);
