// The TLS table's settings as a Sequelize user writes them (v6 in dialectOptions.ssl, v7 in ssl):
// pg's own ssl value, or our sslmode option for a connection without one; and authenticate(),
// which closes the instance when it fails.
import { sslmodeSettingsFor, sslValueFor, type TlsSetting } from "@azure-postgresql-auth/test-support";

export function sequelizeTls(tls: TlsSetting | undefined, ca: string) {
  const ssl = tls === undefined ? { ca, rejectUnauthorized: true } : sslValueFor(tls);
  return { ssl, ...(tls !== undefined && sslmodeSettingsFor(tls, "")) };
}

export async function authenticated<S extends { authenticate(): Promise<unknown>; close(): Promise<unknown> }>(
  sequelize: S,
): Promise<S> {
  try {
    await sequelize.authenticate();
    return sequelize;
  } catch (error) {
    await sequelize.close();
    throw error;
  }
}
