// The sign-up form's proof of work, as a visitor's browser runs it: loads the very
// script the form serves (server/src/signup_pow.js) against a stand-in form, and
// prints how long it takes to answer at the given difficulty (default: the server's
// default, 16 bits), over several tickets. The server checks an answer with one hash.
// Usage: node bench/signup_pow.mjs [BITS] [TICKETS]
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const bits = Number(process.argv[2] ?? 16);
const tickets = Number(process.argv[3] ?? 20);
const script = readFileSync(fileURLToPath(new URL("../server/src/signup_pow.js", import.meta.url)), "utf8");

async function answer(ticket) {
  const pow = { value: "" };
  const form = {
    getAttribute: () => String(bits),
    elements: { ticket: { value: ticket }, pow },
    addEventListener: () => {},
    querySelector: () => null,
  };
  const context = vm.createContext({
    window: { crypto: globalThis.crypto, TextEncoder },
    document: { querySelector: () => form },
    crypto: globalThis.crypto,
    TextEncoder,
    parseInt,
    String,
    Uint8Array,
    Promise,
  });
  const started = performance.now();
  vm.runInContext(script, context);
  while (pow.value === "") await new Promise((r) => setTimeout(r, 1));
  return { ms: performance.now() - started, hashes: Number(pow.value) + 1 };
}

const times = [];
let hashes = 0;
for (let i = 0; i < tickets; i++) {
  const r = await answer(`ticket-${i}-${Math.random()}`);
  times.push(r.ms);
  hashes += r.hashes;
}
times.sort((a, b) => a - b);
const total = times.reduce((a, b) => a + b, 0);
console.log(
  `proof of work, ${bits} bits, ${tickets} tickets: median ${times[Math.floor(tickets / 2)].toFixed(0)} ms, ` +
    `mean ${(total / tickets).toFixed(0)} ms, slowest ${times[tickets - 1].toFixed(0)} ms; ` +
    `${Math.round(hashes / tickets)} hashes a ticket on average (${Math.round((hashes / total) * 1000)} hashes/s)`,
);
