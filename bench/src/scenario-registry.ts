/** All scenarios, in the order they run. */
import type { Scenario } from "./scenario.js";
import { authProxyScenario } from "./scenarios/auth-proxy.js";
import { churnScenario } from "./scenarios/churn.js";
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
  authProxyScenario,
];
