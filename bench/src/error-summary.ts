/**
 * A short, token-free summary of a connection error for the report. DefaultAzureCredential's
 * errors list every credential of its chain; the managed identity part is the one that matters here.
 */
export function errorSummary(error: unknown, maxChars = 240): string {
  const message = String((error as Error)?.message ?? error).replace(/\s+/g, " ");
  const mi = message.indexOf("ManagedIdentityCredential");
  const cli = message.indexOf("AzureCliCredential");
  const from = mi >= 0 ? mi : cli >= 0 ? cli : 0;
  return message.slice(from, from + maxChars).replace(/eyJ[\w-]+\.[\w-]+\.[\w-]*/g, "<token>");
}
