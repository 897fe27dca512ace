/**
 * S3 for the feed tests: s3rver (an S3-compatible HTTP server in this process, storing objects in a
 * temporary folder) behind the real AWS SDK client, so that the adapters' GetObject streams, ranged reads,
 * HeadObject, CopyObject and PutObject run the code they run in AWS. It has no versioning and no
 * conditional writes; the adapters then identify a file by its ETag, which they also do in AWS when
 * versioning is off.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

export interface LocalS3 {
  readonly client: S3Client;
  readonly bucket: string;
  readonly endpoint: string;
  put(key: string, body: Uint8Array | string): Promise<{ etag: string }>;
  text(key: string): Promise<string>;
  keys(prefix: string): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startLocalS3(bucket = 'spendcap-feeds'): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), 'spendcap-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'eu-west-3',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    // s3rver predates the SDK's default request checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    client,
    bucket,
    endpoint,
    async put(key, body) {
      const out = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      return { etag: (out.ETag ?? '').replaceAll('"', '') };
    },
    async text(key) {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return (await out.Body?.transformToString('utf8')) ?? '';
    },
    async keys(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const out = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of out.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
        token = out.NextContinuationToken;
      } while (token !== undefined);
      return keys.sort();
    },
    async stop() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
