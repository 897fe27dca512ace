import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../shared/config/settings.js';
import { DeploymentConfigError, loadDeploymentConfig, parseDeploymentConfig } from '../../infra/config.js';
import { cdkJsonConfig } from './helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('deployment configuration', () => {
  it('parses the defaults of cdk.json into a complete configuration', () => {
    // Act
    const config = parseDeploymentConfig(cdkJsonConfig());

    // Assert
    expect(config.stackName).toBe('Spendcap');
    expect(config.policy.homePlmn).toBe('20801');
    expect(config.policy.tariff).toEqual(DEFAULT_SETTINGS.tariff);
    expect(config.carrier).toEqual({ mode: 'eventbridge' });
    expect(config.stream).toEqual({ capacityMode: 'onDemand', retentionHours: 24 });
    expect(config.ingest.parallelizationFactor).toBe(2);
    expect(config.logs.retentionDays).toBe(30);
  });

  it('applies every default to an empty configuration', () => {
    const config = parseDeploymentConfig(undefined);

    expect(config.sms.senderId).toBe('Spendcap');
    expect(config.ops.emails).toEqual([]);
    expect(config.ingest.batchSize).toBe(500);
    expect(config.policy).toEqual(DEFAULT_SETTINGS);
  });

  it.each([
    [{ ingest: { batchSize: 0 } }, 'spendcap.ingest.batchSize: must be an integer from 1 to 10000'],
    [{ ingest: { parallelizationFactor: 11 } }, 'spendcap.ingest.parallelizationFactor: must be an integer from 1 to 10'],
    [{ carrier: { mode: 'https' } }, 'spendcap.carrier.endpointUrl: must be an https:// URL'],
    [{ carrier: { mode: 'https', endpointUrl: 'http://plain.example.net' } }, 'spendcap.carrier.endpointUrl: must be an https:// URL'],
    [{ carrier: { mode: 'smpp' } }, 'spendcap.carrier.mode: must be { "mode": "eventbridge" }, { "mode": "https", "endpointUrl": "https://..." } or { "mode": "nchf" }'],
    [{ sms: { senderId: 'Spend Cap' } }, 'spendcap.sms.senderId: must be 1 to 11 letters or digits with at least one letter'],
    [{ ops: { emails: ['not-an-address'] } }, 'spendcap.ops.emails.0: must be an e-mail address'],
    [{ logs: { retentionDays: 31 } }, 'spendcap.logs.retentionDays: must be one of 1, 3, 5, 7'],
    [{ stream: { capacityMode: 'provisioned' } }, 'spendcap.stream.shardCount: required when capacityMode is "provisioned"'],
    [{ stream: { shardCount: 2 } }, 'spendcap.stream.shardCount: only allowed when capacityMode is "provisioned"'],
    [{ policy: { homePlmn: '208' } }, 'spendcap.policy.homePlmn: must be 5 or 6 digits'],
    [{ policy: { tariff: { home: {} } } }, 'spendcap.policy.tariff.home.dataPerMbMicros: required'],
    [{ policy: [] }, 'spendcap.policy: must be a JSON object'],
    [{ ingest: { batchSze: 100 } }, 'spendcap.ingest.batchSze: not allowed'],
    [{ ingest: { limits: { perKeyClaimsUntil: '2026-12-02' } } }, 'spendcap.ingest.limits.perKeyClaimsUntil: must be an RFC 3339 date-time with a zone'],
    [{ region: 'Paris' }, 'spendcap.region: must be an AWS region'],
  ])('refuses %j naming the key at fault', (input, message) => {
    // Act
    const parse = () => parseDeploymentConfig({ ...cdkJsonConfig(), ...input });

    // Assert
    expect(parse).toThrow(DeploymentConfigError);
    expect(parse).toThrow(message);
  });

  it('reads the file named by the spendcapConfigFile context instead of the spendcap object', () => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), 'spendcap-config-'));
    dirs.push(dir);
    const file = join(dir, 'prod.json');
    writeFileSync(file, JSON.stringify({ stackName: 'SpendcapProd', carrier: { mode: 'https', endpointUrl: 'https://prov.host.example.net' } }));
    const app = new App({ outdir: join(dir, 'out'), context: { spendcapConfigFile: file, spendcap: { stackName: 'Ignored' } } });

    // Act
    const config = loadDeploymentConfig(app.node);

    // Assert
    expect(config.stackName).toBe('SpendcapProd');
    expect(config.carrier).toEqual({ mode: 'https', endpointUrl: 'https://prov.host.example.net' });
  });

  it('names the file and the key when the file holds a mistake', () => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), 'spendcap-config-'));
    dirs.push(dir);
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ingest: { retryAttempts: -1 } }));
    const app = new App({ outdir: join(dir, 'out'), context: { spendcapConfigFile: file } });

    // Act
    const load = () => loadDeploymentConfig(app.node);

    // Assert
    expect(load).toThrow(`${file}.ingest.retryAttempts: must be an integer from 0 to 10000`);
  });

  it('says when the named file cannot be read', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'spendcap-config-')), context: { spendcapConfigFile: '/nonexistent/spendcap.json' } });
    dirs.push(app.outdir);

    expect(() => loadDeploymentConfig(app.node)).toThrow('spendcapConfigFile: cannot read /nonexistent/spendcap.json');
  });

  it('makes the CDK app exit 1 with the key at fault before synthesizing anything', () => {
    // Arrange: the CLI hands the context to the app through CDK_CONTEXT_JSON.
    const outdir = mkdtempSync(join(tmpdir(), 'spendcap-app-'));
    dirs.push(outdir);
    const env = { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ spendcap: { ingest: { batchSize: 0 } } }) };

    // Act
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], { env, encoding: 'utf8', timeout: 60_000 });

    // Assert
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('spendcap: invalid deployment configuration: spendcap.ingest.batchSize: must be an integer from 1 to 10000');
  }, 60_000);
});
