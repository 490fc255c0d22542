// Checks the bench server's events with the real npm client: two clients
// in `/`; A sends echo, echo_ack and broadcast. Prints what each saw as JSON.
// Usage: node bench_client.js <url>
"use strict";
const { io } = require("socket.io-client");
const [url] = process.argv.slice(2);
const seen = { a: [], b: [] };
const finish = (code) => {
  process.stdout.write(JSON.stringify(seen));
  process.exit(code);
};
setTimeout(() => finish(1), 10000);

const client = (name) => {
  const s = io(url, { forceNew: true, reconnection: false });
  for (const event of ["echo", "broadcast"]) s.on(event, (...args) => seen[name].push([event, ...args]));
  return s;
};
const a = client("a");
const b = client("b");
const connected = (s) => new Promise((resolve) => s.on("connect", resolve));
(async () => {
  await Promise.all([connected(a), connected(b)]);
  a.emit("echo", { n: 1 });
  await new Promise((resolve) => a.emit("echo_ack", [2, "two"], (...args) => {
    seen.a.push(["ack", ...args]);
    resolve();
  }));
  const got = (s) => new Promise((resolve) => s.once("broadcast", resolve));
  const both = Promise.all([got(a), got(b)]);
  a.emit("broadcast", "all");
  await both;
  finish(0);
})();
