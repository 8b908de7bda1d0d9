/** All scenarios, in the order they run. */
import type { Scenario } from "./scenario.js";
import { churnScenario } from "./scenarios/churn.js";
import { mikroOrmRefillScenario } from "./scenarios/mikro-orm-refill.js";
import { postgresJsStormScenario } from "./scenarios/postgres-js-storm.js";
import { providerCallScenario } from "./scenarios/provider-call.js";
import { shortLivedTokensScenario } from "./scenarios/short-lived-tokens.js";
import { slowDeveloperCredentialScenario } from "./scenarios/slow-developer-credential.js";
import { stormScenario } from "./scenarios/storm.js";

export const SCENARIOS: readonly Scenario[] = [
  stormScenario(false),
  stormScenario(true),
  slowDeveloperCredentialScenario,
  churnScenario,
  shortLivedTokensScenario,
  providerCallScenario,
  postgresJsStormScenario,
  mikroOrmRefillScenario,
];
