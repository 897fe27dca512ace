/**
 * The subscriber answers the cap message by SMS with the keyword it quotes (CONTINUER / CONTINUE): the
 * reply arrives on the two-way SMS topic (AWS End User Messaging publishes each inbound message to SNS as a
 * JSON document) and becomes the same consent as POST /subscribers/{id}/consent.
 */
import * as z from 'zod';
import type { PolicySettings, SpendBucketName } from '../domain/model.js';
import { formatIssues } from '../domain/validation.js';
import type { SelfCare } from './use-cases.js';

/** The fields of the inbound SMS document that matter here (the others are ignored). */
export const inboundSmsSchema = z.object({
  originationNumber: z.string().min(1),
  messageBody: z.string(),
  inboundMessageId: z.string().optional(),
});

export type InboundSms = z.output<typeof inboundSmsSchema>;

export type InboundSmsOutcome =
  | { readonly outcome: 'consented'; readonly buckets: readonly SpendBucketName[] }
  /** Not the keyword: some other reply, for customer care, not for us. */
  | { readonly outcome: 'not-a-keyword' }
  | { readonly outcome: 'unknown-number' }
  /** The keyword, but no cap is holding the line back in the current period. */
  | { readonly outcome: 'nothing-to-continue' }
  | { readonly outcome: 'invalid'; readonly reason: string };

/**
 * Whether the body is the keyword: case, surrounding blanks and trailing punctuation do not matter
 * (`continuer`, ` Continue! `), and either locale's keyword is accepted whatever the subscriber's locale.
 */
export function isContinueKeyword(body: string, settings: Pick<PolicySettings, 'continueKeyword'>): boolean {
  const word = body
    .normalize('NFKC')
    .trim()
    .replace(/[.!?\s]+$/u, '')
    .toUpperCase();
  return word === settings.continueKeyword.fr.toUpperCase() || word === settings.continueKeyword.en.toUpperCase();
}

export function parseInboundSms(message: string): { ok: true; value: InboundSms } | { ok: false; reason: string } {
  let input: unknown;
  try {
    input = JSON.parse(message) as unknown;
  } catch {
    // The parser's message quotes the input, which may hold a phone number: say only what is wrong.
    return { ok: false, reason: 'not valid JSON' };
  }
  const result = inboundSmsSchema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, reason: formatIssues(result.error) };
}

export async function continueByKeyword(selfCare: SelfCare, settings: Pick<PolicySettings, 'continueKeyword'>, message: string): Promise<InboundSmsOutcome> {
  const parsed = parseInboundSms(message);
  if (!parsed.ok) return { outcome: 'invalid', reason: parsed.reason };
  if (!isContinueKeyword(parsed.value.messageBody, settings)) return { outcome: 'not-a-keyword' };
  const subscriberId = await selfCare.subscriberByMsisdn(parsed.value.originationNumber);
  if (subscriberId === undefined) return { outcome: 'unknown-number' };
  const buckets = await selfCare.bucketsAwaitingConsent(subscriberId);
  if (buckets.length === 0) return { outcome: 'nothing-to-continue' };
  for (const bucket of buckets) await selfCare.consentByKeyword(subscriberId, bucket, parsed.value.messageBody);
  return { outcome: 'consented', buckets };
}
