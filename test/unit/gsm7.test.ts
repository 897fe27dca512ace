import { describe, expect, it } from 'vitest';
import { isGsm7, smsEncoding, smsLength, smsSegments, toGsm7 } from '../../shared/domain/gsm7.js';

describe('smsEncoding', () => {
  it('keeps French letters that GSM-7 has', () => {
    expect(smsEncoding('été à Ça ù ì ò É ä ö ñ ü Ä Ö Ñ Ü Å å Æ æ ß Ø ø @£$¥¤§¿¡')).toBe('GSM-7');
  });

  it('keeps extension characters in GSM-7', () => {
    expect(smsEncoding('40 € [a] {b} ~ | ^ \\')).toBe('GSM-7');
  });

  it.each([
    ['ê', 'circumflex'],
    ['ç', 'lowercase c cedilla'],
    ['’', 'typographic apostrophe'],
    ['40\u202f000', 'narrow no-break space'],
    ['😀', 'emoji'],
    ['\u001b', 'a bare escape'],
  ])('switches to UCS-2 for %s (%s)', (text) => {
    expect(smsEncoding(text)).toBe('UCS-2');
  });
});

describe('smsSegments (GSM-7)', () => {
  it('counts an empty text as one message', () => {
    expect(smsSegments('')).toBe(1);
  });

  it('fits 160 septets in one message and needs two at 161', () => {
    expect(smsSegments('a'.repeat(160))).toBe(1);
    expect(smsSegments('a'.repeat(161))).toBe(2);
  });

  it('carries 153 septets per part of a concatenated message', () => {
    expect(smsSegments('a'.repeat(306))).toBe(2);
    expect(smsSegments('a'.repeat(307))).toBe(3);
    expect(smsSegments('a'.repeat(459))).toBe(3);
  });

  it('counts extension characters as two septets', () => {
    expect(smsLength('€')).toBe(2);
    expect(smsSegments('€'.repeat(80))).toBe(1);
    expect(smsSegments('a' + '€'.repeat(80))).toBe(2);
    expect(smsSegments('a'.repeat(159) + '€')).toBe(2);
  });

  it('never splits an escape sequence across parts', () => {
    // 152 septets then a two-septet character: it cannot straddle the 153 boundary.
    const text = 'a'.repeat(152) + '€' + 'a'.repeat(152);
    expect(smsLength(text)).toBe(306);
    expect(smsSegments(text)).toBe(3);
  });
});

describe('smsSegments (UCS-2)', () => {
  it('fits 70 code units in one message and needs two at 71', () => {
    expect(smsSegments('ê'.repeat(70))).toBe(1);
    expect(smsSegments('ê'.repeat(71))).toBe(2);
  });

  it('carries 67 code units per part', () => {
    expect(smsSegments('ê'.repeat(134))).toBe(2);
    expect(smsSegments('ê'.repeat(135))).toBe(3);
  });

  it('counts characters outside the BMP as two code units and never splits them', () => {
    expect(smsLength('😀')).toBe(2);
    expect(smsSegments('😀'.repeat(35))).toBe(1);
    expect(smsSegments('😀'.repeat(36))).toBe(2);
    // 66 units then a surrogate pair: the pair moves to the next part.
    expect(smsSegments('ê'.repeat(66) + '😀' + 'ê'.repeat(66))).toBe(3);
  });
});

describe('toGsm7', () => {
  it('replaces the spaces Intl uses in French numbers', () => {
    const formatted = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(12345.6);
    const text = toGsm7(formatted);
    expect(text).toBe('12 345,60 €');
    expect(isGsm7(text)).toBe(true);
  });

  it('replaces typographic punctuation', () => {
    expect(toGsm7('l’itinérance « données » – 5…')).toBe('l\'itinérance " données " - 5...');
  });

  it('drops accents GSM-7 lacks and keeps those it has', () => {
    expect(toGsm7('fenêtre âge île hôtel sûr reçu Noël À Ça')).toBe('fenetre age ile hotel sur recu Noel A Ça');
    expect(toGsm7('été où ça É à ü ñ ß ø')).toBe('été où ca É à ü ñ ß ø');
  });

  it('strips accents from other Latin letters when that makes them GSM-7', () => {
    expect(toGsm7('São Tomé, Curaçao, Viêt Nam, œuvre')).toBe('Sao Tomé, Curacao, Viet Nam, oeuvre');
  });

  it('leaves characters with no GSM-7 equivalent, so the text goes as UCS-2 rather than garbled', () => {
    const text = toGsm7('Tokyo 東京 😀');
    expect(text).toBe('Tokyo 東京 😀');
    expect(smsEncoding(text)).toBe('UCS-2');
  });

  it('is idempotent', () => {
    const once = toGsm7('Vous avez consommé 80 % de vos données – ’test’ 1\u202f000 €');
    expect(toGsm7(once)).toBe(once);
    expect(isGsm7(once)).toBe(true);
  });
});
