pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/sha256/sha256.circom";

// The single public input of a settlement (prototype, measured by `npm run bench:zk -- --single-input`,
// docs/protocol.md "Why this binding, by measurement"): h = sha256(msg) >> 3, msg the bytes
//   ctx (31 bytes, big-endian: keccak256(abi.encode(Context)) >> 8)
//   || for each of the n signed values v: v + 2^53 as 7 bytes big-endian
// (the contract builds the same bytes with abi.encodePacked(uint248, uint56...) and the SHA-256 precompile).
// Every value is range-checked to 54 signed bits by its bit decomposition (so the encoding is injective),
// ctx to 248 bits; h keeps 253 of the digest's bits, so it is always a field element.
// Cost: 31 * 8 + 54 * n range bits and about 29.4k constraints per 64-byte SHA-256 block.
template HashedContext(n) {
    signal input ctx;
    signal input values[n];
    signal output h;

    var nBits = 248 + 56 * n;
    component sha = Sha256(nBits);
    component ctxBits = Num2Bits(248);
    ctxBits.in <== ctx;
    for (var i = 0; i < 248; i++) sha.in[i] <== ctxBits.out[247 - i];
    component vBits[n];
    for (var k = 0; k < n; k++) {
        vBits[k] = Num2Bits(54);
        vBits[k].in <== values[k] + 2 ** 53;
        var base = 248 + 56 * k;
        sha.in[base] <== 0;
        sha.in[base + 1] <== 0;
        for (var i = 0; i < 54; i++) sha.in[base + 2 + i] <== vBits[k].out[53 - i];
    }
    var acc = 0;
    for (var i = 0; i < 253; i++) acc += sha.out[i] * 2 ** (252 - i);
    h <== acc;
}
