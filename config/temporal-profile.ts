import {
  loadClientConfigProfile,
  toClientOptions,
  type ClientConfigProfile,
  type ClientConnectConfig,
} from '@temporalio/envconfig';

/**
 * The Temporal CLI's own connection settings, read the way the CLI reads them
 * (`@temporalio/envconfig`): the profile `TEMPORAL_PROFILE` (default "default") of the TOML file at
 * `TEMPORAL_CONFIG_FILE` (default `~/.config/temporalio/temporal.toml`), overridden by `TEMPORAL_*`
 * variables (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS*`,
 * `TEMPORAL_GRPC_META_*`). So `temporal` and this platform talk to the same server the same way.
 */
export function temporalProfile(env: NodeJS.ProcessEnv = process.env): ClientConfigProfile {
  // Empty variables count as unset, as everywhere in the configuration.
  const vars = Object.fromEntries(
    Object.entries(env).flatMap(([k, v]) => (v !== undefined && v.trim() !== '' ? [[k, v.trim()]] : [])),
  );
  try {
    return loadClientConfigProfile({ overrideEnvVars: vars });
  } catch (err) {
    throw new Error(
      `Temporal connection profile (TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE): ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** Connection options (TLS, API key, gRPC metadata) from the profile, for the given address. */
export function temporalConnectOptions(
  address: string,
  env: NodeJS.ProcessEnv = process.env,
): ClientConnectConfig['connectionOptions'] {
  const profile = temporalProfile(env);
  return { ...toClientOptions({ ...profile, address }).connectionOptions, address };
}
