import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, temporalAddress } from '../../config';
import { temporalConnectOptions } from '../../config/temporal-profile';

/** A temporal.toml as the Temporal CLI writes it (`temporal config set`). */
function profileFile(): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'profile-')), 'temporal.toml');
  writeFileSync(
    file,
    [
      '[profile.default]',
      'address = "dev.example:7233"',
      'namespace = "orders-dev"',
      '',
      '[profile.prod]',
      'address = "prod.example:7233"',
      'namespace = "orders"',
      'api_key = "secret-key"',
      '[profile.prod.tls]',
      'server_name = "prod.example"',
    ].join('\n'),
  );
  return file;
}

describe('Temporal connection settings shared with the temporal CLI', () => {
  it('takes the server and namespace from the profile when no variable names them', () => {
    const file = profileFile();
    const dev = loadConfig({ TEMPORAL_CONFIG_FILE: file });
    expect(temporalAddress(dev)).toBe('dev.example:7233');
    expect(dev.TEMPORAL_NAMESPACE).toBe('orders-dev');
    const prod = loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' });
    expect(temporalAddress(prod)).toBe('prod.example:7233');
    expect(prod.TEMPORAL_NAMESPACE).toBe('orders');
  });

  it('lets TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE win over the profile, as the CLI does', () => {
    const config = loadConfig({
      TEMPORAL_CONFIG_FILE: profileFile(),
      TEMPORAL_PROFILE: 'prod',
      TEMPORAL_ADDRESS: 'other.example:7233',
      TEMPORAL_NAMESPACE: 'elsewhere',
    });
    expect(temporalAddress(config)).toBe('other.example:7233');
    expect(config.TEMPORAL_NAMESPACE).toBe('elsewhere');
  });

  it("connects with the profile's API key and TLS settings", () => {
    const options = temporalConnectOptions('prod.example:7233', {
      TEMPORAL_CONFIG_FILE: profileFile(),
      TEMPORAL_PROFILE: 'prod',
    });
    expect(options.address).toBe('prod.example:7233');
    expect(options.apiKey).toBe('secret-key');
    expect(options.tls).toMatchObject({ serverNameOverride: 'prod.example' });
  });

  it('without a profile file, starts the embedded server as before', () => {
    const config = loadConfig({ TEMPORAL_CONFIG_FILE: path.join(os.tmpdir(), 'no-such-dir', 'temporal.toml') });
    expect(config.TEMPORAL_ADDRESS).toBeUndefined();
    expect(temporalAddress(config)).toBe('127.0.0.1:7233');
  });

  it('names the problem when the profile asked for does not exist', () => {
    expect(() => loadConfig({ TEMPORAL_CONFIG_FILE: profileFile(), TEMPORAL_PROFILE: 'staging' })).toThrow(
      /TEMPORAL_PROFILE|staging/,
    );
  });
});
