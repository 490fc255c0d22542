// Drives one engine.io session with the real npm client and prints what it
// saw as JSON. Usage:
//   node eio_client.js <v6|v3> <transports, comma-separated> <url> <client|server>
// The last argument says who closes: the client calls close(), or it asks
// the server to close by sending the text "close me".
"use strict";
const [lib, transportList, url, closer] = process.argv.slice(2);
const Socket = lib === "v3" ? require("engine.io-client-v3") : require("engine.io-client").Socket;
const transports = transportList.split(",");
const expectUpgrade = transports.length > 1;

const seen = { open: null, upgrade: null, messages: [], heartbeats: 0, close: null, errors: [] };
const finish = (code) => {
  process.stdout.write(JSON.stringify(seen));
  process.exit(code);
};
setTimeout(() => finish(1), 10000);

const socket = new Socket(url, { transports, path: "/engine.io/" });
socket.on("open", () => {
  seen.open = socket.transport.name;
  socket.send("hello");
  socket.send(Uint8Array.from([1, 2, 3]));
});
socket.on("upgrade", (t) => {
  seen.upgrade = t.name;
  maybeClose();
});
socket.on("message", (m) => {
  if (typeof m === "string") {
    seen.messages.push({ text: m });
  } else {
    seen.messages.push({ binary: [...new Uint8Array(m)] });
  }
  maybeClose();
});
// v6 emits "ping" for each server ping; v3 emits "pong" for each answer
// to its own ping.
socket.on(lib === "v3" ? "pong" : "ping", () => {
  seen.heartbeats += 1;
  maybeClose();
});
socket.on("error", (e) => seen.errors.push(String(e)));
socket.on("close", (reason) => {
  seen.close = reason;
  // Give a closing POST time to reach the server.
  setTimeout(() => finish(0), 300);
});

let closing = false;
function maybeClose() {
  const ready =
    seen.messages.length >= 2 && seen.heartbeats >= 3 && (!expectUpgrade || seen.upgrade);
  if (!ready || closing) return;
  closing = true;
  if (closer === "client") socket.close();
  else socket.send("close me");
}
