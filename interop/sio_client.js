// Drives our socket.io server with the real npm client and prints what
// two clients (A and B, in the same namespace) saw, as JSON. Usage:
//   node sio_client.js <v4|v3|v2> <transports, comma-separated> <url> <namespace> <json|msgpack>
"use strict";
const [lib, transportList, url, nsp, parserName] = process.argv.slice(2);
const clients = require("./clients");
const io = clients.io(lib);
const transports = transportList.split(",");
const parser = clients.parser(parserName);
const seen = { a: [], b: [], invalid: null };
const finish = (code) => clients.finish(seen, code);
setTimeout(() => finish(1), 10000);

const plain = (x) =>
  Buffer.isBuffer(x) || x instanceof ArrayBuffer ? { binary: [...new Uint8Array(x)] } : x;
function client(name) {
  const s = io(url + nsp, {
    transports,
    auth: { token: name },
    forceNew: true,
    reconnection: false,
    ...parser,
  });
  const log = (...e) => seen[name].push(e);
  s.on("auth", (a) => log("auth", a));
  s.on("message-back", (...args) => log("message-back", ...args.map(plain)));
  s.on("connect_error", (e) => log("connect_error", e.message));
  return s;
}

const a = client("a");
const b = client("b");
let connected = 0;
const onConnect = () => {
  connected += 1;
  if (connected < 2) return;
  b.emit("join", "room1");
  // Ordering: B's join reaches the server before A's to-room below,
  // because A waits for B's ack first.
  b.emit("message-with-ack", "joined", (...args) => {
    seen.b.push(["ack", ...args]);
    a.emit("message", "hello", 1, { nested: [true, null] }, Buffer.from([1, 2, 3]));
    a.emit("message-with-ack", "x", Buffer.from([9]), (...args) => {
      seen.a.push(["ack", ...args.map(plain)]);
      a.emit("to-room", "room1", "for the room");
      a.emit("broadcast", "for all");
    });
  });
};
a.on("connect", onConnect);
b.on("connect", onConnect);

// Both get "for all"; B also gets "for the room", and A must not.
let done = 0;
const check = (...args) => {
  if (args[0] === "for all" && ++done === 2) {
    const invalid = io(url + "/does-not-exist", {
      transports,
      forceNew: true,
      reconnection: false,
      ...parser,
    });
    invalid.on("connect_error", (e) => {
      seen.invalid = e.message;
      finish(0);
    });
    // socket.io-client 2.x reports a refused namespace as "error", with the
    // object Node 4.8 sends it.
    invalid.on("error", (e) => {
      seen.invalid = e.message;
      finish(0);
    });
  }
};
a.on("message-back", check);
b.on("message-back", check);
