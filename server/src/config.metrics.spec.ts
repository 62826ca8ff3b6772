import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};

describe('metrics listener settings (ADR 0111)', () => {
  it('no metrics listener unless METRICS_PORT is set, and on loopback unless METRICS_HOST says otherwise', () => {
    expect(loadConfig({})).toMatchObject({ metricsPort: undefined, metricsHost: '127.0.0.1' });
    expect(loadConfig({ METRICS_PORT: '9464' })).toMatchObject({ metricsPort: 9464, metricsHost: '127.0.0.1' });
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: '10.0.0.5' })).toMatchObject({ metricsPort: 9464, metricsHost: '10.0.0.5' });
  });

  it('never on the public port, and every mistake named', () => {
    expect(problemsOf({ PORT: '4000', METRICS_PORT: '4000' })).toEqual(['METRICS_PORT must differ from PORT (4000): metrics are never served on the public port']);
    expect(problemsOf({ METRICS_PORT: '0' })).toEqual(['METRICS_PORT must be a number between 1 and 65535 (got "0")']);
    expect(problemsOf({ METRICS_PORT: '94.5' })).toEqual(['METRICS_PORT must be a whole port number (got "94.5")']);
    expect(problemsOf({ METRICS_HOST: '0.0.0.0' })).toEqual(['METRICS_HOST is set but METRICS_PORT is not: set METRICS_PORT to open the metrics listener']);
  });
});

describe('shutdown drain (ADR 0112)', () => {
  it('25 s by default, configurable, bounded', () => {
    expect(loadConfig({}).shutdownDrainMs).toBe(25_000);
    expect(loadConfig({ SHUTDOWN_DRAIN_SECONDS: '3' }).shutdownDrainMs).toBe(3_000);
    expect(problemsOf({ SHUTDOWN_DRAIN_SECONDS: '-1' })).toEqual(['SHUTDOWN_DRAIN_SECONDS must be a number between 0 and 600 (got "-1")']);
  });
});
