#!/usr/bin/env node
/**
 * Generates experiments/data/tickets.jsonl: synthetic customer-support tickets for the
 * `classify` task, one JSON object a line: {"id": "T0001", "text": "...", "label": "billing"}.
 *
 *   node scripts/make-tickets.mjs            # (re)writes experiments/data/tickets.jsonl
 *   node scripts/make-tickets.mjs --stdout   # prints it instead (the test compares the two)
 *   node scripts/make-tickets.mjs --out FILE
 *
 * Deterministic: a fixed seed drives a tiny inline PRNG (mulberry32), never Math.random, so the
 * committed file is reproduced byte for byte. Change SEED or the templates, rerun, commit both.
 *
 * How a ticket is built (so that word cues help a learner but do not make it trivial):
 * - 6 labels, 100 tickets each, in shuffled order.
 * - The dominant topic contributes 1 to 3 sentences drawn from its templates, whose slots are
 *   filled from word lists (products, amounts, carriers, error codes, ...). Each label has many
 *   templates with different wording, so a few examples do not cover a label's vocabulary.
 * - Some templates borrow another topic's words on purpose (a refund is billing or returns; a
 *   parcel is shipping or returns; a login error is account or technical).
 * - Half of the tickets also mention a secondary topic in one sentence ("Also, ..."), but the
 *   label is always the dominant topic.
 * - Generic sentences shared by all labels (order numbers, greetings, complaints, sign-offs)
 *   vary the length and add words that predict nothing.
 * - Typos: about 1 word in 25 has two letters swapped, one dropped or one doubled; 15% of the
 *   tickets are all lower case. No two tickets have the same text.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SEED = 20260117;
const PER_LABEL = 100;
const SECONDARY_TOPIC_RATE = 0.5;
const TYPO_RATE = 0.04;

/** mulberry32: a 32-bit seeded PRNG, uniform in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = mulberry32(SEED);
const int = (min, max) => min + Math.floor(random() * (max - min + 1));
const pick = (list) => list[int(0, list.length - 1)];
const chance = (p) => random() < p;
function shuffle(list) {
  const out = list.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = int(0, i);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

// Slot fillers, shared by every label (so they carry no label signal by themselves).
const SLOTS = {
  product: [
    'blender',
    'desk lamp',
    'running shoes',
    'rain jacket',
    'coffee grinder',
    'smart watch',
    'backpack',
    'air fryer',
    'wireless earbuds',
    'office chair',
    'yoga mat',
    'phone case',
    'kettle',
    'robot vacuum',
    'winter coat',
    'tablet stand',
  ],
  order: () => `#${int(100000, 999999)}`,
  amount: () => `$${int(5, 240)}.${String(int(0, 99)).padStart(2, '0')}`,
  tracking: () => `${pick(['1Z', 'JD', 'TBA', 'LX'])}${int(10000000, 99999999)}`,
  carrier: ['UPS', 'DHL', 'FedEx', 'the postal service', 'the courier'],
  days: () => String(int(2, 21)),
  country: ['Canada', 'Germany', 'Ireland', 'Australia', 'Mexico', 'Norway', 'Japan'],
  weekday: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'],
  month: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October'],
  code: () => `${pick(['SAVE', 'SPRING', 'WELCOME', 'VIP'])}${int(10, 40)}`,
  email: () => `${pick(['jane', 'tom', 'maria', 'li', 'sam', 'priya'])}.${pick(['doe', 'smith', 'chen', 'garcia'])}@example.com`,
  errcode: () => `${pick(['E', 'ERR-', '0x'])}${int(100, 999)}`,
  screen: ['settings', 'checkout', 'orders', 'profile', 'home', 'wishlist'],
  device: ['iPhone', 'Android phone', 'laptop', 'Windows PC', 'Mac', 'tablet'],
  browser: ['Chrome', 'Firefox', 'Safari', 'Edge'],
  percent: () => String(int(10, 95)),
  colour: ['black', 'navy', 'red', 'olive green', 'white', 'grey'],
  size: ['small', 'medium', 'large', 'XL'],
  use: ['a small kitchen', 'daily commuting', 'a family of four', 'travel', 'a home office'],
  years: () => String(int(2, 12)),
  name: ['Anna', 'Ben', 'Carlos', 'Dana', 'Eli', 'Fatima', 'George', 'Hana', 'Ivan', 'Julia'],
};

// Sentences of each topic. `{slot}` is filled from SLOTS.
const TOPICS = {
  billing: [
    'I was charged twice for order {order}.',
    'My credit card was billed {amount} but the invoice says {amount}.',
    'Why is there an extra fee of {amount} on my statement?',
    'Can you send me a copy of the invoice for {month}?',
    'The subscription renewed and I got charged without any notice.',
    'My payment keeps getting declined even though the card is valid.',
    'Please update the billing address that appears on my invoices.',
    'There is a pending charge of {amount} that I do not recognise.',
    'The promo code {code} was not applied to my bill.',
    'How do I switch from monthly to annual billing?',
    'The tax on the receipt looks wrong to me.',
    'I would like the overcharge of {amount} refunded to my card.',
    'Can I pay by bank transfer instead of PayPal?',
    'You took the money from my account but the order shows unpaid.',
    'I cancelled the plan in {month} and I am still being billed every month.',
  ],
  shipping: [
    'My package still has not arrived, tracking number {tracking}.',
    'The tracking page for {carrier} has not updated in {days} days.',
    'Can I change the delivery address for order {order}?',
    'The courier left the parcel at the wrong house.',
    'How long does express delivery take to {country}?',
    'It says delivered but nothing is here.',
    'Do you ship to {country}, and what does postage cost?',
    'The box arrived crushed and the {product} inside is dented.',
    'My order {order} has been stuck in customs for {days} days.',
    'Can the driver come on {weekday} instead?',
    'The estimated delivery date keeps moving back.',
    'Only half of my order arrived, where is the second package?',
    'Is there a way to pick the parcel up from a local depot?',
    '{carrier} says the address was incomplete and sent it back to your warehouse.',
  ],
  returns: [
    'I want to return the {product}, it does not fit.',
    'How do I get a return label for order {order}?',
    'I sent the {product} back {days} days ago and still have not got my money back.',
    'Can I exchange the {product} for a {size} one?',
    'The return window is 30 days and I am on day {days}, can I still send it back?',
    'Where do I drop off the return parcel?',
    'The {product} is faulty and I would like a replacement or a refund.',
    'Do I have to pay for the return postage?',
    'I received the wrong item and want to swap it for what I ordered.',
    'The refund for my returned {product} was less than I paid.',
    'I changed my mind about the {product}, it is still unopened in the box.',
    'Your returns portal will not accept order {order}.',
    'The {product} came in {colour} instead of {colour}, please take it back.',
  ],
  account: [
    'I cannot log in to my account, it says wrong password.',
    'How do I reset my password? The reset email never came.',
    'Please change the email address on my profile to {email}.',
    'I want to delete my account and all of my personal data.',
    'My account was locked after too many sign in attempts.',
    'Someone else logged into my account from {country}.',
    'How do I turn on two-factor authentication?',
    'I have two accounts, can you merge them into one?',
    'I would like to unsubscribe from the newsletter emails.',
    'My username shows the wrong name, it should be {name}.',
    'I no longer have access to the phone number linked to my account.',
    'The verification code for my login never arrives.',
    'Can I add my partner as a second user on my membership?',
  ],
  technical: [
    'The app crashes every time I open the {screen} screen.',
    'I get error code {errcode} when I try to check out.',
    'The website is very slow and pages keep timing out.',
    'The {product} will not connect to bluetooth since the update.',
    'The firmware update failed at {percent} percent.',
    'The page only shows a blank white screen in {browser}.',
    'Notifications stopped working on my {device}.',
    'The sync between the app and my {product} keeps failing.',
    'The {product} keeps rebooting by itself.',
    'I cannot upload a photo, the button does nothing on my {device}.',
    'The login page throws error {errcode} on {browser}.',
    'The app freezes on a loading spinner after the latest version.',
    'The {product} display flickers and the buttons stopped responding.',
  ],
  product_question: [
    'Is the {product} compatible with my {device}?',
    'What are the dimensions and the weight of the {product}?',
    'Does the {product} come in {colour}?',
    'How long does the battery of the {product} last on one charge?',
    'Is the {product} waterproof?',
    'What is the difference between the {product} and the {product}?',
    'Will the {product} in {colour} be back in stock soon?',
    'Does the {product} include a warranty and a charger?',
    'Which size of {product} would you recommend for {use}?',
    'Is the {product} made of recycled material, and is it dishwasher safe?',
    'Before I buy, can the {product} be used outdoors?',
    'Does the {size} {product} run true to size?',
    'Are spare parts for the {product} sold separately?',
  ],
};

// How a secondary topic is introduced.
const SECONDARY_LEADS = ['Also, ', 'On a separate note, ', 'Oh and ', 'Unrelated, but ', 'And while I am here: '];

// Label-neutral sentences: context, feelings, sign-offs.
const OPENERS = ['', '', 'Hi,', 'Hello,', 'Hi there.', 'Good morning.', 'Hey team,', 'Dear support,'];
const CONTEXT = [
  'My order number is {order}.',
  'I bought the {product} on {weekday}.',
  'I have been a customer for {years} years.',
  'This is the second time I am writing about this.',
  'I am honestly quite frustrated.',
  'It was meant to be a gift.',
  'I ordered the {product} last {weekday}.',
  'Nobody answered on the phone.',
  'I tried the chat first but it did not help.',
];
const CLOSERS = ['', '', 'Thanks.', 'Thank you!', 'Please help asap.', 'Kind regards, {name}', 'Thanks in advance, {name}', 'Please get back to me soon.'];

function fill(template) {
  return template.replace(/\{(\w+)\}/g, (_, slot) => {
    const filler = SLOTS[slot];
    if (filler === undefined) throw new Error(`unknown slot {${slot}}`);
    return typeof filler === 'function' ? filler() : pick(filler);
  });
}

/** Two letters swapped, one dropped or one doubled, in words of 4+ letters. */
function typo(word) {
  if (!/^[A-Za-z]{4,}$/.test(word)) return word;
  const i = int(1, word.length - 2);
  switch (int(0, 2)) {
    case 0:
      return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
    case 1:
      return word.slice(0, i) + word.slice(i + 1);
    default:
      return word.slice(0, i) + word[i] + word.slice(i);
  }
}

function addTypos(text) {
  return text.replace(/[A-Za-z]+/g, (word) => (chance(TYPO_RATE) ? typo(word) : word));
}

function lowerFirst(sentence) {
  return sentence.charAt(0).toLowerCase() + sentence.slice(1);
}

function ticket(label) {
  const labels = Object.keys(TOPICS);
  const own = shuffle(TOPICS[label]).slice(0, pick([1, 1, 2, 2, 2, 3]));
  const parts = own.map(fill);
  const context = shuffle(CONTEXT).slice(0, pick([0, 0, 1, 1, 2]));
  for (const sentence of context) parts.splice(int(0, parts.length), 0, fill(sentence));
  if (chance(SECONDARY_TOPIC_RATE)) {
    const other = pick(labels.filter((l) => l !== label));
    parts.push(pick(SECONDARY_LEADS) + lowerFirst(fill(pick(TOPICS[other]))));
  }
  const opener = pick(OPENERS);
  const closer = fill(pick(CLOSERS));
  const text = [opener, ...parts, closer].filter((s) => s !== '').join(' ');
  return addTypos(chance(0.15) ? text.toLowerCase() : text);
}

function generate() {
  const labels = Object.keys(TOPICS);
  const order = shuffle(labels.flatMap((label) => Array.from({ length: PER_LABEL }, () => label)));
  // No two tickets with the same text (up to case and spaces): a repeat is drawn again.
  const seen = new Set();
  const unique = (label) => {
    for (;;) {
      const text = ticket(label);
      const key = text.toLowerCase().replace(/\s+/g, ' ').trim();
      if (!seen.has(key)) {
        seen.add(key);
        return text;
      }
    }
  };
  return order
    .map((label, i) => JSON.stringify({ id: `T${String(i + 1).padStart(4, '0')}`, text: unique(label), label }))
    .join('\n')
    .concat('\n');
}

const args = process.argv.slice(2);
const output = generate();
if (args.includes('--stdout')) {
  process.stdout.write(output);
} else {
  const outIndex = args.indexOf('--out');
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const file = outIndex >= 0 && args[outIndex + 1] ? args[outIndex + 1] : join(root, 'experiments', 'data', 'tickets.jsonl');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, output);
  process.stderr.write(`wrote ${file} (${output.split('\n').length - 1} tickets)\n`);
}
