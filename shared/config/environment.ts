/**
 * Parsing a function's environment at cold start (DESIGN: configuration is parsed once with zod; a missing
 * variable fails with its name, never defaults to an empty string). Every function's config module uses
 * these two helpers so that the messages read the same everywhere.
 */
import * as z from 'zod';

/** A variable that must be present and non-blank; the error names it. */
export const requiredVariable = (name: string) =>
  z.string({ error: `${name}: required` }).trim().min(1, { error: `${name}: required` });

/** Parses `env` with `schema`, or throws one Error listing every variable at fault. */
export function parseEnvironment<T>(schema: z.ZodType<T>, env: NodeJS.ProcessEnv): T {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new Error(result.error.issues.map((issue) => issue.message).join('; '));
}
