// Connection state recovery with the real socket.io-client 4.x: counts the
// numbered events the server sends while it drops the transport now and
// then, and prints each connect (recovered or not) and each number seen.
// After each number in <garbage after>, the client sends an engine.io
// message that is not a socket.io packet, which makes the server close it.
// Usage: node recovery_client.js <transports, comma-separated> <url> <reconnection delay ms> <last number> [garbage after, comma-separated]
"use strict";
const { io } = require("socket.io-client");
const [transportList, url, delay, last, garbage = ""] = process.argv.slice(2);
const garbageAfter = garbage.split(",").filter(Boolean).map(Number);
const seen = { connects: [], numbers: [] };
const finish = (code) => {
  process.stdout.write(JSON.stringify(seen));
  process.exit(code);
};
setTimeout(() => finish(1), 15000);

const socket = io(url, {
  transports: transportList.split(","),
  reconnectionDelay: Number(delay),
  reconnectionDelayMax: Number(delay),
});
socket.on("connect", () => {
  seen.connects.push(socket.recovered);
  if (seen.connects.length === 1) socket.emit("start");
});
// With recovery on, the offset comes as a last argument.
socket.on("n", (n) => {
  seen.numbers.push(n);
  if (n === Number(last)) finish(0);
  if (garbageAfter.includes(n)) socket.io.engine.send("abc");
});
