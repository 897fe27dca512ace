/** The version of a file that an event names is gone or replaced (adapters throw this for S3 404 / 412): the newer upload has its own event. */
export class VersionGone extends Error {
  override readonly name = 'VersionGone';
}
