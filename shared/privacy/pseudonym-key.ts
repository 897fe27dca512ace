/**
 * Loads the deployment's pseudonym key from Secrets Manager once per container and installs it
 * (shared/privacy/pseudonym.ts). Each function that computes a pseudonym awaits `loadPseudonymKey` in its
 * lazy production setup, before its first request; without the secret's variable (the local runtime, tests)
 * it does nothing and the public local key stays in use.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ENV } from '../config/env-names.js';
import { usePseudonymKey } from './pseudonym.js';

let loading: Promise<void> | undefined;

export interface PseudonymKeySource {
  send(command: GetSecretValueCommand): Promise<{ SecretString?: string | undefined }>;
}

/**
 * Reads the secret named by PSEUDONYM_KEY_SECRET_ARN (its SecretString is the key) and installs it. The read
 * happens once per container; a failure is thrown (the invocation fails and Lambda retries it) and the next
 * call reads again.
 */
export function loadPseudonymKey(env: NodeJS.ProcessEnv = process.env, client?: PseudonymKeySource): Promise<void> {
  const secretId = env[ENV.pseudonymKeySecretArn];
  if (secretId === undefined || secretId === '') return Promise.resolve();
  loading ??= read(secretId, client ?? new SecretsManagerClient({})).catch((e: unknown) => {
    loading = undefined;
    throw e;
  });
  return loading;
}

async function read(secretId: string, client: PseudonymKeySource): Promise<void> {
  let secret: string | undefined;
  try {
    secret = (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  } catch (e: unknown) {
    throw new Error(`pseudonym key: the secret could not be read (${e instanceof Error ? e.name : 'error'})`);
  }
  if (secret === undefined || secret === '') throw new Error('pseudonym key: the secret has no string value');
  usePseudonymKey(secret);
}

/** Forgets a load (tests). */
export function forgetPseudonymKeyLoad(): void {
  loading = undefined;
}
