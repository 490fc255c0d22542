// What the socket.io client scripts share: the client library of each
// generation, the parser option, and printing what was seen.
"use strict";

// The `io` function of socket.io-client 4.x, 3.x or 2.x.
exports.io = (lib) =>
  ({
    v4: () => require("socket.io-client").io,
    v3: () => require("socket.io-client-v3").io,
    v2: () => require("socket.io-client-v2"),
  })[lib]();

// The client options that select the parser ("json" or "msgpack").
exports.parser = (name) => (name === "msgpack" ? { parser: require("socket.io-msgpack-parser") } : {});

// Prints `seen` as JSON and exits with `code`.
exports.finish = (seen, code) => {
  process.stdout.write(JSON.stringify(seen));
  process.exit(code);
};
