/** All scenarios, in the order they run. */
import type { Scenario } from "../scenario.js";
import { authProxyScenario } from "./auth-proxy.js";
import { churnScenario } from "./churn.js";
import { emulatorStartScenario } from "./emulator-start.js";
import { firstRequest429Scenario } from "./first-request-429.js";
import { identityOutageScenario } from "./identity-outage.js";
import { manyProcessesScenario } from "./many-processes.js";
import { mikroOrmRefillScenario } from "./mikro-orm-refill.js";
import { postgresJsStormScenario } from "./postgres-js-storm.js";
import { providerCallScenario } from "./provider-call.js";
import { redactionScenario } from "./redaction.js";
import { shortLivedTokensScenario } from "./short-lived-tokens.js";
import { slowDeveloperCredentialScenario } from "./slow-developer-credential.js";
import { stormScenario } from "./storm.js";

export const SCENARIOS: readonly Scenario[] = [
  stormScenario(false),
  stormScenario(true),
  slowDeveloperCredentialScenario,
  churnScenario,
  shortLivedTokensScenario,
  providerCallScenario,
  firstRequest429Scenario,
  manyProcessesScenario,
  redactionScenario,
  emulatorStartScenario,
  postgresJsStormScenario,
  mikroOrmRefillScenario,
  authProxyScenario,
  identityOutageScenario,
];
