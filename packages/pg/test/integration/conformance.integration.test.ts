// The shared adapter conformance suite, run through pg with entraTokenProvider and getEntraRoleName.
import { describeAdapterConformance } from "@azure-postgresql-auth/test-support";
import pg from "pg";
import { entraTokenProvider, getEntraRoleName } from "../../src/index.js";

describeAdapterConformance({
  name: "pg",
  async connect({ host, port, database, ca, credential, username }) {
    const client = new pg.Client({
      host,
      port,
      database,
      user: username ?? (await getEntraRoleName(credential)),
      password: entraTokenProvider(credential),
      ssl: { ca, rejectUnauthorized: true },
    });
    await client.connect();
    return {
      currentUser: async () =>
        (await client.query<{ current_user: string }>("select current_user")).rows[0]!.current_user,
      close: () => client.end(),
    };
  },
  setUp: (credential) => entraTokenProvider(credential as never),
  passwordFor: (credential, host) => entraTokenProvider(credential)({ host }),
});
