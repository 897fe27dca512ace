// s3rver ships no type definitions: an S3-compatible server on the local file system.
declare module 's3rver' {
  interface S3rverOptions {
    port?: number;
    address?: string;
    silent?: boolean;
    directory: string;
    resetOnClose?: boolean;
    configureBuckets?: Array<{ name: string }>;
  }
  class S3rver {
    constructor(options: S3rverOptions);
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
    on(event: 'event', listener: (event: { Records: Array<{ eventName: string; s3: { bucket: { name: string }; object: { key: string; size: number; eTag: string } } }> }) => void): this;
  }
  export default S3rver;
}
