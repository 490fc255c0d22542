// Connection state recovery with the real socket.io-client 4.x: counts the
// numbered events the server sends while it drops the transport now and
// then, and prints each connect (recovered or not) and each number seen.
// Usage: node recovery_client.js <transports, comma-separated> <url> <reconnection delay ms> <last number>
"use strict";
const { io } = require("socket.io-client");
const [transportList, url, delay, last] = process.argv.slice(2);
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
});
