import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '../../shared/config/env-names.js';
import { bindEventBus, bindSecret, type SpendcapFunction } from './spendcap-function.js';

export type CarrierGatewayProps =
  /** Commands are events on a bus of this stack (source `spendcap`, detail-type `spendcap.carrier-command`). */
  | { readonly mode: 'eventbridge'; readonly archiveRetention?: Duration }
  /** Commands are POSTed to the host operator's provisioning endpoint with credentials from a secret. */
  | { readonly mode: 'https'; readonly endpointUrl: string }
  /** The operator's own PCF enforces: commands become policy counter statuses (the Realtime construct binds them). */
  | { readonly mode: 'nchf' };

/**
 * How bar / un-bar commands reach the host network. In `eventbridge` mode (the default) spendcap owns a bus
 * and the operator adds a rule that forwards commands to its provisioning system (API destination, queue,
 * another account's bus: see docs/deploy.md); the bus keeps an archive so that commands can be replayed
 * after an outage of the operator's side. In `https` mode the command function calls the operator's
 * endpoint directly, with credentials kept in Secrets Manager.
 */
export class CarrierGateway extends Construct {
  public readonly mode: 'eventbridge' | 'https' | 'nchf';
  /** Mode eventbridge: the carrier-commands bus. */
  public readonly bus?: events.EventBus;
  /** Mode eventbridge: 30 days of commands, replayable. */
  public readonly archive?: events.Archive;
  /** Mode https: credentials of the provisioning endpoint (the operator puts the value after deploy). */
  public readonly secret?: secretsmanager.Secret;
  public readonly endpointUrl?: string;

  constructor(scope: Construct, id: string, props: CarrierGatewayProps) {
    super(scope, id);
    this.mode = props.mode;
    if (props.mode === 'eventbridge') {
      this.bus = new events.EventBus(this, 'CommandBus', {
        description: 'spendcap carrier commands (BAR_DATA_ROAMING, UNBAR_DATA_ROAMING, BAR_DATA_OVERAGE, UNBAR_DATA_OVERAGE)',
      });
      this.archive = this.bus.archive('CommandArchive', {
        description: 'spendcap carrier commands, replayable to the host operator after an outage',
        eventPattern: { source: ['spendcap'] },
        retention: props.archiveRetention ?? Duration.days(30),
      });
    } else if (props.mode === 'https') {
      this.endpointUrl = props.endpointUrl;
      this.secret = new secretsmanager.Secret(this, 'EndpointCredentials', {
        description: 'spendcap: credentials of the host operator provisioning endpoint, JSON {"token"} or {"username","password"}, set by the operator',
      });
      Validations.of(this.secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The host operator issues and rotates these provisioning credentials on its side; spendcap cannot rotate them, the operator updates the secret value (docs/deploy.md).',
      });
    }
  }

  /** Lets a function send carrier commands: CARRIER_MODE plus the bus (PutEvents) or endpoint + secret (read). */
  bindCommandSender(fn: SpendcapFunction): void {
    fn.addEnvironment(ENV.carrierMode, this.mode);
    if (this.bus !== undefined) {
      bindEventBus(fn, ENV.carrierBusName, this.bus);
    }
    if (this.secret !== undefined && this.endpointUrl !== undefined) {
      fn.addEnvironment(ENV.carrierEndpointUrl, this.endpointUrl);
      bindSecret(fn, ENV.carrierSecretArn, this.secret);
    }
  }
}
