/**
 * The key of subscriber pseudonyms (shared/privacy/pseudonym.ts): a Secrets Manager secret the stack
 * generates, which every function that logs, names or alerts about a subscriber reads once per container.
 * Retained with the tables: the pseudonyms in the profiles table's `byPseudonym` index, in old logs and in
 * the audit trail's execution and schedule names were made with it.
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '../../shared/config/env-names.js';
import { bindSecret, type SpendcapFunction } from './spendcap-function.js';

export interface PseudonymKeyProps {
  /**
   * What happens to the key when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

export class PseudonymKey extends Construct {
  public readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: PseudonymKeyProps = {}) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: 'spendcap: key of the subscriber pseudonyms in logs, alerts and execution names (HMAC-SHA256); changing it changes every pseudonym',
      // 64 characters of letters and digits: about 380 bits, far more than an HMAC-SHA256 key needs.
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Not rotated automatically on purpose: the key defines every pseudonym (log lines, alerts, execution and schedule names, the byPseudonym index), so rotating it is a planned operation (docs/deploy.md, "Pseudonym key"), not a schedule.',
    });
  }

  /** Hands the key to a function: PSEUDONYM_KEY_SECRET_ARN and secretsmanager:GetSecretValue on this secret only. */
  bindTo(fn: SpendcapFunction): void {
    bindSecret(fn, ENV.pseudonymKeySecretArn, this.secret);
  }
}
