/**
 * The labelled set for the PII detectors: positives in many formats, each in several sentences,
 * and hard negatives (order numbers failing Luhn, versions shaped like IPs, dates shaped like
 * phone numbers, near-miss IBANs and SSNs). `types` lists what a string really contains.
 */
import { luhn, PII_TYPES, type PiiType } from '../../src/guardrails/pii'

export type Labelled = { text: string; types: PiiType[] }

const SENTENCES = [
  (value: string) => value,
  (value: string) => `Please contact me at ${value} tomorrow.`,
  (value: string) => `The record (${value}) was updated; thanks!`,
]

/** The check digit that makes `body` pass Luhn (the validator under test is not in question here). */
function luhnDigit(body: string): string {
  return String([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].find((d) => luhn(body + d)) ?? 0)
}

const card = (body: string) => body + luhnDigit(body)
const groups = (digits: string, sep: string, sizes: number[]) => {
  const out: string[] = []
  let at = 0
  for (const size of sizes) {
    out.push(digits.slice(at, at + size))
    at += size
  }
  return out.join(sep)
}
const cards = [
  '411111111111111',
  '555555555555444',
  '400000000000000',
  '222300000000000',
  '601100000000000',
]
  .map(card)
  .flatMap((n) => [n, groups(n, ' ', [4, 4, 4, 4]), groups(n, '-', [4, 4, 4, 4])])
const amex = card('37828224631000')
const badCards = cards.map((n) => n.slice(0, -1) + String((Number(n.at(-1)) + 1) % 10))

const POSITIVES: Record<PiiType, string[]> = {
  email: [
    'jane.doe@example.com',
    'j.smith+news@mail.example.co.uk',
    'first_last@sub.domain.org',
    'ops-team@company.io',
    'x@y.dev',
    'UPPER.Case@Example.COM',
    'a1b2c3@numbers123.net',
    'name%tag@host.museum',
  ],
  phone: [
    '(415) 555-1234',
    '415-555-1234',
    '415.555.1234',
    '415 555 1234',
    '+1 415 555 1234',
    '+1-212-555-0199',
    '+44 20 7946 0958',
    '+49 30 1234567',
    '+33 1 23 45 67 89',
    '+91 98765 43210',
    '+61 2 9374 4000',
    '4155551234',
  ],
  card: [...cards, amex, groups(amex, ' ', [4, 6, 5])],
  iban: [
    'GB82 WEST 1234 5698 7654 32',
    'GB82WEST12345698765432',
    'DE89 3704 0044 0532 0130 00',
    'FR14 2004 1010 0505 0001 3M02 606',
    'NL91ABNA0417164300',
    'ES9121000418450200051332',
    'IT60X0542811101000000123456',
    'BE68539007547034',
    'CH9300762011623852957',
  ],
  ssn: ['123-45-6789', '078-05-1120', '219-09-9999', '536-22-1234', '772-10-4321'],
  ip: [
    '192.168.1.1',
    '10.0.0.255',
    '8.8.8.8',
    '172.16.254.3',
    '2001:db8::1',
    'fe80::1ff:fe23:4567:890a',
    '2001:0db8:85a3:0000:0000:8a2e:0370:7334',
    '2606:4700:4700::1111',
  ],
  secret: [
    `sk-${'a1B2c3D4e5'.repeat(4)}`,
    `sk-proj-${'Zx9_Yw8-Vu'.repeat(5)}`,
    'AKIAIOSFODNN7EXAMPLE',
    `ghp_${'A1b2C3d4E5f6'.repeat(3)}`,
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
    '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx\n-----END RSA PRIVATE KEY-----',
    '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0\n-----END PRIVATE KEY-----',
  ],
}

/** Strings that contain none of the types, built to trip naive patterns. */
const NEGATIVES: string[] = [
  ...badCards,
  'Order #4111111111111112 shipped',
  'Invoice 1234 5678 9012 3456',
  'tracking 1Z999AA10123456784',
  'v1.2.3.4',
  'version 10.0.0.1',
  'Release 4.3.2.1 is out',
  '999.1.1.1',
  '1.2.3.4.5',
  'build 1.2.3',
  '2024-01-15',
  '15/01/2024',
  '2024-01-15 10:30:45',
  'on 2023-12-31 at 23:59',
  '12:30:45',
  '00:1A:2B:3C:4D:5E',
  'a::b::c',
  'order 123-456-7890',
  'call 555-1234',
  'ISBN 978-3-16-148410-0',
  '000-12-3456',
  '666-12-3456',
  '900-12-3456',
  '123-00-4567',
  '123-45-0000',
  'GB82 WEST 1234 5698 7654 33',
  'DE89370400440532013001',
  'NL91ABNA0417164301',
  'user@localhost',
  '@handle on social',
  'email me at name at example dot com',
  'foo@bar',
  'sk-short',
  'task-manager-config',
  'AKIA123',
  'eyJ only a prefix',
  'the ratio is 3:2:1',
  'room 101, floor 2',
  'pi is 3.14159265',
  'ticket T-2024-000123',
  'PO number 87654321',
  'zip 94105-1234',
  'serial SN-12345-67890',
  'coordinates 37.7749, -122.4194',
  'price $1,234,567.89',
  'ratio 16:9 display',
  'copyright 2019-2024',
]

export function labelledSet(): Labelled[] {
  const set: Labelled[] = []
  for (const type of PII_TYPES) {
    for (const value of POSITIVES[type]) {
      for (const sentence of SENTENCES) set.push({ text: sentence(value), types: [type] })
    }
  }
  for (const negative of NEGATIVES) {
    for (const sentence of SENTENCES) set.push({ text: sentence(negative), types: [] })
  }
  return set
}
