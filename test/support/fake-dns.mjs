/**
 * Preloaded (NODE_OPTIONS=--import) into a server under test: answers the names
 * listed in the JSON file FAKE_DNS_FILE (`{"name": "address"}`, re-read on every
 * lookup, so a test can change an answer while the server runs) and leaves every
 * other name to the system resolver. It stands in for a DNS server whose answer
 * changes, which this machine cannot otherwise provide; the server's own code is
 * untouched.
 */
import dns from 'node:dns';
import { readFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const file = process.env.FAKE_DNS_FILE;
const systemLookup = dns.lookup;
const systemPromisesLookup = dns.promises.lookup;

function answerFor(hostname) {
  const answers = JSON.parse(readFileSync(file, 'utf8'));
  const address = answers[hostname];
  return address === undefined ? undefined : { address, family: address.includes(':') ? 6 : 4 };
}

dns.lookup = function lookup(hostname, options, callback) {
  if (typeof options === 'function') [callback, options] = [options, {}];
  if (typeof options === 'number') options = { family: options };
  const found = answerFor(hostname);
  if (!found) return systemLookup.call(dns, hostname, options, callback);
  process.nextTick(() => (options?.all ? callback(null, [found]) : callback(null, found.address, found.family)));
  return {};
};

dns.promises.lookup = async function lookup(hostname, options = {}) {
  const found = answerFor(hostname);
  if (!found) return systemPromisesLookup.call(dns.promises, hostname, options);
  return options.all ? [found] : found;
};

syncBuiltinESMExports();
