// The support console's page logic: plain DOM, no framework. Everything it shows and does goes through
// api.js (the self-care/admin API); nothing here knows about tables or the pipeline.
import { ApiError, connect, eur, microsOf, previousPeriod } from './api.js';

const $ = (id) => document.getElementById(id);
const base = document.querySelector('meta[name="spendcap-api"]')?.content ?? '';
const BUCKETS = { roaming: 'Roaming', overage: 'Out-of-bundle' };

let api;
let current; // { profile, etag, usage, currentPeriod }
// The API's clock, as far as the page can know it: the local console server tells it (the local pipeline runs
// on the virtual time of its events, and the API refuses a consent dated after its "now"); elsewhere, this
// browser's clock.
let clockOffsetMs = 0;
fetch('now.json')
  .then((r) => (r.ok ? r.json() : undefined))
  .then((body) => {
    if (body?.now) clockOffsetMs = Date.parse(body.now) - Date.now();
  })
  .catch(() => undefined);
const apiNow = () => new Date(Date.now() + clockOffsetMs);

function say(text, kind = 'ok') {
  const status = $('status');
  status.className = kind;
  status.textContent = text;
}

function problem(e) {
  say(e instanceof ApiError ? `The API refused: ${e.message}` : `Something failed: ${e instanceof Error ? e.message : String(e)}`, 'problem');
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

const when = (iso) => (iso ? iso.replace('T', ' ').slice(0, 16) : '');

/** A spend meter: charge against the limit, the 80% mark and the limit, as an inline SVG with a text twin. */
function meter(bucket) {
  const limit = bucket.cap.limitMicros;
  const top = Math.max(limit, bucket.chargeMicros, 1) * 1.1;
  const x = (m) => ((m / top) * 300).toFixed(1);
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 300 36');
  svg.setAttribute('class', 'meter');
  svg.setAttribute('aria-hidden', 'true');
  svg.innerHTML =
    `<rect x="0" y="8" width="300" height="16" fill="#eee"/>` +
    `<rect x="0" y="8" width="${x(bucket.billableMicros)}" height="16" fill="#0b4f9c"/>` +
    `<rect x="${x(bucket.billableMicros)}" y="8" width="${(x(bucket.chargeMicros) - x(bucket.billableMicros)).toFixed(1)}" height="16" fill="#d9a0a0"/>` +
    (bucket.cap.enabled
      ? `<line x1="${x(limit * 0.8)}" x2="${x(limit * 0.8)}" y1="4" y2="28" stroke="#8a5300" stroke-dasharray="3 2"/>` +
        `<line x1="${x(limit)}" x2="${x(limit)}" y1="2" y2="30" stroke="#a1130f" stroke-width="2"/>`
      : '');
  return svg;
}

function bucketCard(name, b) {
  const cap = b.cap.enabled ? `cap EUR ${eur(b.cap.limitMicros)}` : 'cap opted out';
  const state = b.bar
    ? el('p', { class: 'barred', 'data-bar': name }, `Data ${name === 'roaming' ? 'roaming' : 'out of bundle'} BARRED since ${when(b.bar.at)}${b.bar.until ? `, until ${when(b.bar.until)}` : ''}`)
    : el('p', { class: 'free', 'data-bar': 'none' }, 'Not barred');
  return el(
    'div',
    { class: 'bucket', 'data-bucket': name },
    el('h3', {}, BUCKETS[name]),
    meter(b),
    el('p', {}, `Spent EUR ${eur(b.chargeMicros)} of ${cap}; billable EUR ${eur(b.billableMicros)}, written off EUR ${eur(b.writtenOffMicros)}.`),
    el('p', {}, b.consent ? 'Consent to continue given this period.' : 'No consent to continue this period.'),
    state,
  );
}

/** A changed choice's value as an agent reads it: limits in EUR, switches as on/off. */
function choiceValue(field, value) {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return field.endsWith('Micros') ? `EUR ${eur(value)}` : String(value);
}

function auditRow(entry) {
  let what = entry.type;
  let details = '';
  if (entry.type === 'NOTIFICATION') {
    what = `${entry.kind} (${entry.channel})`;
    details = entry.text ?? '';
  } else if (entry.type === 'CARRIER_COMMAND') {
    what = entry.command;
    details = `${entry.status ?? ''} ${entry.reason ?? ''}`.trim();
  } else if (entry.type === 'CHOICE_CHANGED') {
    // A limit, opt-out, consent or channel changed, by the subscriber or by support, with the consent statement.
    what = `CHOICE_CHANGED by ${entry.by}`;
    const changes = (entry.changes ?? []).map((c) => `${c.field} ${choiceValue(c.field, c.from)} → ${choiceValue(c.field, c.to)}`);
    const consent = entry.consent && `consent: ${entry.consent.who}, ${entry.consent.channel}, ${when(entry.consent.at)}`;
    details = [...changes, consent, entry.reason].filter((t) => t).join('; ');
  } else {
    what = entry.kind ? `${entry.type} ${entry.kind}` : entry.type;
    details = [entry.bucket, entry.reason, entry.who, entry.channel, entry.runAt && `at ${when(entry.runAt)}`, entry.error].filter((t) => t).join(', ');
  }
  return el('tr', { 'data-type': entry.type }, el('td', {}, when(entry.at)), el('td', {}, what), el('td', {}, details));
}

function render() {
  const { profile, usage } = current;
  $('subscriber').hidden = false;
  $('subscriber-title').textContent = `${profile.subscriberId}`;
  $('subscriber-facts').textContent = `${profile.msisdn} · plan ${profile.plan?.name ?? ''} · language ${profile.locale ?? ''} · SMS ${profile.notifications?.sms ? 'on' : 'off'}, e-mail ${profile.notifications?.email ? 'on' : 'off'}`;
  const buckets = $('buckets');
  buckets.replaceChildren(bucketCard('roaming', usage.roaming), bucketCard('overage', usage.overage));
  const d = usage.data;
  $('allowance').textContent = `Data allowance: ${(d.allowanceBytes / 1e6).toFixed(0)} MB used of ${(d.dataAllowanceBytes / 1e6).toFixed(0)} MB; roaming data ${(d.roamingDataBytes / 1e6).toFixed(0)} MB.`;
  const rows = usage.audit.length === 0 ? [el('tr', {}, el('td', { colspan: '3' }, 'Nothing recorded in this period.'))] : usage.audit.map(auditRow);
  $('audit').tBodies[0].replaceChildren(...rows);
  const isCurrent = usage.current !== false && usage.period.id === current.currentPeriod;
  for (const form of document.querySelectorAll('form.action')) for (const c of form.querySelectorAll('input,select,button')) c.disabled = !isCurrent;
  $('actions-note').hidden = isCurrent;
}

function fillPeriods(usage, profile) {
  const select = $('period');
  const ids = [usage.period.id];
  for (let i = 0; i < 3; i++) ids.push(previousPeriod(ids[ids.length - 1], profile.plan?.billingCycleDay ?? 1));
  select.replaceChildren(...ids.map((id, i) => el('option', { value: id }, i === 0 ? `${id} (current)` : id)));
}

async function open(subscriberId) {
  const { body: profile, etag } = await api.profile(subscriberId);
  const usage = await api.usage(subscriberId);
  current = { profile, etag, usage, currentPeriod: usage.period.id };
  fillPeriods(usage, profile);
  render();
  $('subscriber-title').focus();
}

async function reload(note) {
  const { body: profile, etag } = await api.profile(current.profile.subscriberId);
  const usage = await api.usage(current.profile.subscriberId, $('period').value || undefined);
  current = { ...current, profile, etag, usage };
  render();
  if (note) say(note);
}

$('search').addEventListener('submit', async (event) => {
  event.preventDefault();
  const query = $('query').value.trim();
  $('matches').replaceChildren();
  try {
    api ??= await connect(base);
    let ids;
    if (/^\+?\d{6,15}$/.test(query.replace(/[\s.-]/g, ''))) {
      const msisdn = query.replace(/[\s.-]/g, '').replace(/^(?!\+)/, '+');
      ids = (await api.searchByPhone(msisdn)).map((p) => p.subscriberId);
    } else {
      // Not a phone number: taken as the subscriber id.
      ids = [query];
    }
    if (ids.length === 0) {
      $('subscriber').hidden = true;
      say(`No subscriber has the number ${query}.`, 'problem');
      return;
    }
    if (ids.length > 1) {
      say(`${ids.length} subscribers have this number (a number moving to a new line): choose one.`);
      $('matches').replaceChildren(el('div', { class: 'matches' }, ...ids.map((id) => {
        const b = el('button', { type: 'button' }, id);
        b.addEventListener('click', () => open(id).catch(problem));
        return b;
      })));
      return;
    }
    await open(ids[0]);
    say(`Showing ${ids[0]}.`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      $('subscriber').hidden = true;
      say(`No subscriber found for ${query}.`, 'problem');
    } else problem(e);
  }
});

$('period').addEventListener('change', () => reload().catch(problem));

async function act(run, done) {
  try {
    await run();
    await reload(done);
  } catch (e) {
    if (e instanceof ApiError && e.status === 412) {
      await reload().catch(() => undefined);
      say('The subscriber changed meanwhile: the page now shows the latest; check and try again.', 'problem');
    } else problem(e);
  }
}

$('consent-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const bucket = $('consent-bucket').value;
  act(
    () => api.recordConsent(current.profile.subscriberId, { bucket, who: $('consent-who').value, channel: $('consent-channel').value, reason: $('consent-reason').value, at: apiNow() }, current.etag),
    `Consent recorded: ${BUCKETS[bucket].toLowerCase()} data may continue this period.`,
  );
});

$('limit-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const limitMicros = microsOf($('limit-eur').value);
  if (limitMicros === undefined) {
    say('The new limit must be an amount in euros, e.g. 20 or 20.50.', 'problem');
    $('limit-eur').focus();
    return;
  }
  const bucket = $('limit-bucket').value;
  act(() => api.changeLimit(current.profile.subscriberId, { bucket, limitMicros, reason: $('limit-reason').value }, current.etag), `Limit changed to EUR ${eur(limitMicros)}.`);
});

$('resend-form').addEventListener('submit', (event) => {
  event.preventDefault();
  act(() => api.resendLast(current.profile.subscriberId, { channel: $('resend-channel').value, reason: $('resend-reason').value }), 'The last message was sent again.');
});
