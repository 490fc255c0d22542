// Drives our socket.io server with the real npm client through the
// features beyond plain events: multiplexed namespaces, acks asked by the
// server, a refusing middleware, reconnection after the server drops the
// transport, and disconnects from both sides. Prints what it saw as JSON.
// Usage:
//   node sio_features.js <v4|v3|v2> <transports, comma-separated> <url> <json|msgpack>
"use strict";
const [lib, transportList, url, parserName] = process.argv.slice(2);
const clients = require("./clients");
const io = clients.io(lib);
const transports = transportList.split(",");
const opts = {
  transports,
  reconnectionDelay: 50,
  reconnectionDelayMax: 100,
  ...clients.parser(parserName),
};

const seen = { main: [], custom: [], guarded: null, multiplexed: null, pinged: {}, unknown: null };
const finish = (code) => clients.finish(seen, code);
setTimeout(() => finish(1), 15000);

const plain = (x) =>
  Buffer.isBuffer(x) || x instanceof ArrayBuffer ? { binary: [...new Uint8Array(x)] } : x;
// Each call gets its own options: socket.io-client 3.x writes `path` into
// them, which would change the next lookup's cache key.
const main = io(url, { ...opts });
const custom = io(url + "/custom", { ...opts });
const log = (who) => (...e) => seen[who].push(e.map(plain));
for (const [name, s] of [["main", main], ["custom", custom]]) {
  s.on("connect", () => log(name)("connect"));
  s.on("disconnect", (reason) => log(name)("disconnect", reason));
  s.on("message-back", (...args) => log(name)("message-back", ...args));
}
main.on("question", (...args) => {
  const answer = args.pop();
  log("main")("question", ...args);
  answer("answer", Buffer.from([7]));
});
main.on("answer-was", (...args) => log("main")("answer-was", ...args));

// Resolves with the next `event` of `socket`.
const next = (socket, event) => new Promise((resolve) => socket.once(event, resolve));
const connected = (s) => (s.connected ? Promise.resolve() : next(s, "connect"));

(async () => {
  await Promise.all([connected(main), connected(custom)]);
  seen.multiplexed = main.io === custom.io;

  // The client asks for an ack, with binary both ways.
  await new Promise((resolve) =>
    main.emit("message-with-ack", "hi", Buffer.from([1, 2]), (...args) => {
      log("main")("ack", ...args);
      resolve();
    })
  );
  // The server asks for an ack (see "question" above), then tells what it got.
  main.emit("server-ack");
  await next(main, "answer-was");
  // Over the same connection, "/custom" hears only its own.
  custom.emit("message", "via custom");
  await next(custom, "message-back");

  // The id the client knows its socket by is the server's: a message to
  // that id's room reaches it (socket.io 2.x computes the id itself).
  for (const [name, s] of [["main", main], ["custom", custom]]) {
    const pinged = next(s, "pinged");
    s.emit("ping-me", s.id);
    seen.pinged[name] = await pinged;
  }

  // An unknown namespace is refused with "Invalid namespace".
  const unknown = io(url + "/nope", { ...opts });
  seen.unknown = await new Promise((resolve) => {
    unknown.on("connect_error", (e) => resolve({ message: e.message }));
    // socket.io-client 2.x hears the refusal as "error".
    unknown.on("error", (data) => resolve({ error: data }));
  });
  unknown.close();

  // A middleware refuses, with data.
  const guarded = io(url + "/guarded", { ...opts });
  seen.guarded = await new Promise((resolve) => {
    guarded.on("connect_error", (e) => resolve({ message: e.message, data: e.data }));
    // socket.io-client 2.x hears the refusal's data as "error".
    guarded.on("error", (data) => resolve({ data }));
  });
  guarded.close();

  // The server drops the connection: both sockets come back on their own.
  const back = Promise.all([next(main, "disconnect"), next(custom, "disconnect")]).then(() =>
    Promise.all([next(main, "connect"), next(custom, "connect")])
  );
  main.emit("kill-transport");
  await back;

  // Disconnects from each side.
  custom.disconnect();
  const gone = next(main, "disconnect");
  main.emit("disconnect-me");
  await gone;
  finish(0);
})();
