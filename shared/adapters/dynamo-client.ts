/**
 * The DynamoDB clients of a function, created once per container and shared by its adapters. The
 * endpoint comes from the standard AWS_ENDPOINT_URL_DYNAMODB variable when set (local mode: dynalite).
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export function documentClientOf(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    unmarshallOptions: { wrapNumbers: false },
  });
}

export function createDynamoClient(config: DynamoDBClientConfig = {}): DynamoDBClient {
  // Throttling is retried by the SDK (adaptive backoff) before a subscriber's records are failed back to Lambda.
  return new DynamoDBClient({ maxAttempts: 5, ...config });
}

export function isConditionalCheckFailed(e: unknown): boolean {
  return e instanceof Error && e.name === 'ConditionalCheckFailedException';
}
