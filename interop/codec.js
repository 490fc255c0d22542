// Encodes the shared cases of cases.json with the real npm parsers and
// prints the results as JSON, for the Rust interop tests to compare with.
// Binary travels as {"$bin": "<base64>"}; frames as {"text": s} or {"bin": b64}.
"use strict";

const fs = require("fs");
const path = require("path");
const eioV4 = require("engine.io-parser");
const eioV3 = require("engine.io-parser-v3");
const sioV5 = require("socket.io-parser");
const sioV4 = require("socket.io-parser-v3");
const msgpack = require("socket.io-msgpack-parser");

const cases = JSON.parse(fs.readFileSync(path.join(__dirname, "cases.json"), "utf8"));

// "REPEAT:<base64>:<n>" and "REPEAT_STR:<s>:<n>" keep big inputs short.
function expandBin(b64) {
  const m = /^REPEAT:(.*):(\d+)$/.exec(b64);
  if (!m) return Buffer.from(b64, "base64");
  return Buffer.concat(Array(Number(m[2])).fill(Buffer.from(m[1], "base64")));
}
function expandStr(s) {
  const m = /^REPEAT_STR:(.*):(\d+)$/.exec(s);
  return m ? m[1].repeat(Number(m[2])) : s;
}
function revive(v) {
  if (Array.isArray(v)) return v.map(revive);
  if (v && typeof v === "object") {
    if (typeof v.$bin === "string") return expandBin(v.$bin);
    const out = {};
    for (const k of Object.keys(v)) out[k] = revive(v[k]);
    return out;
  }
  return typeof v === "string" ? expandStr(v) : v;
}
function toJson(v) {
  if (Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
    return { $bin: Buffer.from(v.buffer ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v).toString("base64") };
  }
  if (Array.isArray(v)) return v.map(toJson);
  if (v && typeof v === "object") {
    const out = {};
    for (const k of Object.keys(v)) out[k] = toJson(v[k]);
    return out;
  }
  return v;
}
function frame(f) {
  return typeof f === "string" ? { text: f } : { bin: Buffer.from(f).toString("base64") };
}
function hasBinary(v) {
  if (Buffer.isBuffer(v)) return true;
  if (Array.isArray(v)) return v.some(hasBinary);
  if (v && typeof v === "object") return Object.values(v).some(hasBinary);
  return false;
}

// engine.io: single packets (WebSocket frames, text forms) and payloads.
function eioPacket(p) {
  const out = { type: p.type };
  if (p.bin !== undefined) out.data = expandBin(p.bin);
  else if (p.data !== undefined) out.data = p.data;
  return out;
}
function sync(fn, ...args) {
  let result;
  fn(...args, (r) => { result = r; });
  return result;
}
const engineio = cases.engineio.map((c) => {
  const packets = c.packets.map(eioPacket);
  return {
    name: c.name,
    v4_frames: packets.map((p) => frame(sync(eioV4.encodePacket, p, true))),
    v4_texts: packets.map((p) => sync(eioV4.encodePacket, p, false)),
    v3_frames: packets.map((p) => frame(sync(eioV3.encodePacket, p, true, false))),
    v3_texts: packets.map((p) => sync(eioV3.encodePacket, p, false, false)),
    v4_payload: sync(eioV4.encodePayload, packets),
    v3_string_payload: sync(eioV3.encodePayload, packets, false),
    v3_binary_payload: frame(sync(eioV3.encodePayload, packets, true)),
  };
});
// JSONP responses, as engine.io's polling-jsonp transport writes them
// (callback index 3), around the v3 string and the v4 payloads.
function jsonp(payload) {
  const js = JSON.stringify(payload).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
  return "___eio[3](" + js + ");";
}
engineio.forEach((e) => {
  e.v3_jsonp = jsonp(e.v3_string_payload);
  e.v4_jsonp = jsonp(e.v4_payload);
});

// socket.io: every packet with both JSON parsers and the msgpack parser.
function v4Packet(p) {
  // socket.io 2.x: the auth travels as the namespace's query string, and
  // the sender picks BINARY_EVENT / BINARY_ACK itself.
  const out = { type: p.type, nsp: p.nsp };
  if (p.type === 0 && p.data) {
    const q = Object.keys(p.data).map((k) => encodeURIComponent(k) + "=" + encodeURIComponent(p.data[k])).join("&");
    out.nsp = p.nsp + "?" + q;
  } else if (p.data !== undefined) {
    out.data = p.data;
  }
  if (p.id !== undefined) out.id = p.id;
  if ((p.type === 2 || p.type === 3) && hasBinary(p.data)) out.type += 3;
  return out;
}
function msgpackPacket(p) {
  // The key order of a packet emitted by Node's socket.io server.
  const out = { type: p.type };
  if (p.data !== undefined) out.data = p.data;
  if (p.id !== undefined) out.id = p.id;
  out.nsp = p.nsp;
  return out;
}
const socketio = cases.socketio.map((c) => {
  const skip = c.skip || [];
  const out = { name: c.name };
  if (!skip.includes("v5")) out.v5 = new sioV5.Encoder().encode(revive(c.packet)).map(frame);
  if (!skip.includes("v4")) out.v4 = sync((p, cb) => new sioV4.Encoder().encode(p, cb), v4Packet(revive(c.packet))).map(frame);
  if (!skip.includes("msgpack")) out.msgpack = new msgpack.Encoder().encode(msgpackPacket(revive(c.packet))).map(frame);
  return out;
});

// socket.io v5 decoding of raw text: a packet, an error, or "pending"
// (a binary packet waiting for its attachments).
const decodeV5 = cases.socketio_decode_v5.map((input) => {
  const decoder = new sioV5.Decoder();
  let result = { pending: true };
  decoder.on("decoded", (p) => { result = { ok: toJson(p) }; });
  try {
    decoder.add(input);
  } catch (e) {
    result = { error: e.message };
  }
  return { input, ...result };
});

process.stdout.write(JSON.stringify({ engineio, socketio, socketio_decode_v5: decodeV5 }));
