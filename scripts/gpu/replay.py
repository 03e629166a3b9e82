"""Replays the bundle of scripts/gpu/export.ts on a GPU with PyTorch (docs/engine.md, "On a GPU").

Each ONNX node of the engine's step graph is run as the matching torch op on CUDA tensors: no onnxruntime,
so nothing is shared with the CPU backend but the graph itself. After every step the sha256 of each state
tensor is compared with the CPU's; the checkpoint states that fit are written out for compare.ts to root
(from the exact run; from the CPU run on a machine without CUDA).

Modes: "exact" (float32 products in full float32), "tf32" (PyTorch's TF32 tensor-core products: 11 significant
bits per operand, float32 sums; exact too as long as every float32 product's operands stay below 2^11, which
the engine's quantization gives today), "bf16" (float32 products with bfloat16 operands and output: 8
significant bits; a negative control that must diverge, showing the check can fail), "cpu" (the same torch
ops on the CPU: a third twin).

    python3 scripts/gpu/replay.py BUNDLE_DIR OUT_DIR
"""
import functools
import hashlib
import json
import os
import sys
import time

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

DTYPE = {1: torch.float32, 7: torch.int64, 9: torch.bool, 11: torch.float64}
MAX_FILE = 15 * 1024 * 1024


def attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


class Graph:
    def __init__(self, path, device):
        m = onnx.load(path)
        self.device = device
        self.nodes = [(n.op_type, list(n.input), n.output[0], attrs(n)) for n in m.graph.node]
        self.consts = {}
        for t in m.graph.initializer:
            a = numpy_helper.to_array(t)
            self.consts[t.name] = torch.from_numpy(np.array(a)).to(device)
        self.input_types = {i.name: DTYPE[i.type.tensor_type.elem_type] for i in m.graph.input}
        self.outputs = [o.name for o in m.graph.output]
        ops = sorted({n[0] for n in self.nodes})
        unknown = [o for o in ops if o not in OPS]
        if unknown:
            raise SystemExit(f"{path}: ops this replayer does not implement: {unknown}")

    def run(self, feeds):
        env = dict(self.consts)
        env.update(feeds)
        for op, ins, out, a in self.nodes:
            env[out] = OPS[op]([env[i] for i in ins], a)
        return [env[o] for o in self.outputs]


LOSSY = {"bf16": False}


def _gemm(x, a):
    alpha, beta = a.get("alpha", 1.0), a.get("beta", 1.0)
    if beta != 1.0:
        raise SystemExit("Gemm with beta other than 1 is not used by the engine")
    A = x[0].T if a.get("transA", 0) else x[0]
    B = x[1].T if a.get("transB", 0) else x[1]
    if LOSSY["bf16"] and A.dtype == torch.float32:
        y = (A.bfloat16() @ B.bfloat16()).float()
    else:
        y = A @ B
    # The lean graph folds an update into its gradient's Gemm (engine/onnx/lower.ts, fusedSgd): alpha is a
    # power of two and C an offset, so scaling and adding them after the product is exact too.
    if alpha != 1.0:
        y = y * alpha
    return y + x[2] if len(x) > 2 else y


def _unsqueeze(x, a):
    t = x[0]
    for ax in sorted(int(v) for v in x[1].tolist()):
        t = t.unsqueeze(ax)
    return t


OPS = {
    "Add": lambda x, a: x[0] + x[1],
    "Sub": lambda x, a: x[0] - x[1],
    "Sum": lambda x, a: functools.reduce(torch.add, x),
    "Mul": lambda x, a: x[0] * x[1],
    "Floor": lambda x, a: torch.floor(x[0]),
    "Relu": lambda x, a: torch.relu(x[0]),
    "Clip": lambda x, a: torch.minimum(torch.maximum(x[0], x[1]), x[2]),
    "Greater": lambda x, a: x[0] > x[1],
    "Equal": lambda x, a: x[0] == x[1],
    "Where": lambda x, a: torch.where(x[0], x[1], x[2]),
    "Cast": lambda x, a: x[0].to(DTYPE[a["to"]]),
    "Gemm": _gemm,
    "Unsqueeze": _unsqueeze,
    "ReduceSum": lambda x, a: torch.sum(x[0], dim=tuple(int(v) for v in x[1].tolist()), keepdim=bool(a.get("keepdims", 1))),
}


def tensor_bytes(t):
    # Float64 little-endian, -0 written as +0 (export.ts does the same).
    return (t.double() + 0.0).cpu().numpy().astype("<f8").tobytes()


def sha(b):
    return hashlib.sha256(b).hexdigest()


def set_mode(mode):
    LOSSY["bf16"] = mode == "bf16"
    tf32 = mode == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.set_float32_matmul_precision("high" if tf32 else "highest")


def replay(bundle, case, mode, out_dir, write_states):
    device = "cuda" if mode != "cpu" and torch.cuda.is_available() else "cpu"
    set_mode(mode)
    g = Graph(os.path.join(bundle, case["onnx"]), device)
    size = lambda shape: int(np.prod(shape)) if shape else 1
    load = lambda name, arr: torch.from_numpy(arr.copy()).to(device).to(g.input_types[name])

    init = np.fromfile(os.path.join(bundle, case["init"]), dtype="<f8")
    state, off = [], 0
    for name, shape in zip(case["stateIn"], case["stateShapes"]):
        n = size(shape)
        state.append(load(name, init[off:off + n].reshape(shape)))
        off += n
    batches = np.fromfile(os.path.join(bundle, case["batches"]), dtype="<f8")
    nx, nl = size(case["x"]["shape"]), size(case["labels"]["shape"])
    steps = case["steps"]
    feeds_of = []
    for s in range(steps):
        base = s * (nx + nl)
        feeds_of.append({
            case["x"]["name"]: load(case["x"]["name"], batches[base:base + nx].reshape(case["x"]["shape"])),
            case["labels"]["name"]: load(case["labels"]["name"], batches[base + nx:base + nx + nl].reshape(case["labels"]["shape"])),
        })

    index = {n: i for i, n in enumerate(g.outputs)}
    ckpt_steps = [k["step"] for k in case["checkpoints"]]
    state_bytes = 8 * sum(size(s) for s in case["stateShapes"])
    keep = ckpt_steps[-max(1, MAX_FILE // state_bytes):]
    kept = []
    if 0 in keep:
        kept.append((0, b"".join(tensor_bytes(t) for t in state)))

    def advance(current, s):
        feeds = dict(feeds_of[s])
        feeds.update(zip(case["stateIn"], current))
        outs = g.run(feeds)
        return [outs[index[n]] for n in case["stateOut"]]

    matched, first_mismatch = 0, None
    current = state
    for s in range(steps):
        current = advance(current, s)
        blobs = [tensor_bytes(t) for t in current]
        got = [sha(b) for b in blobs]
        want = case["stepHashes"][s]
        if got == want:
            matched += 1
        elif first_mismatch is None:
            first_mismatch = {"step": s + 1, "tensors": [i for i, (x, y) in enumerate(zip(got, want)) if x != y]}
        if (s + 1) in keep:
            kept.append((s + 1, b"".join(blobs)))

    # Timing: the same steps again, no hashing, synchronised once at the end.
    def sync():
        if device == "cuda":
            torch.cuda.synchronize()
    current = state
    sync()
    t0 = time.perf_counter()
    for s in range(steps):
        current = advance(current, s)
    sync()
    step_ms = (time.perf_counter() - t0) * 1000 / steps

    states_file = None
    if write_states:
        states_file = f"{case['name']}.states.bin"
        with open(os.path.join(out_dir, states_file), "wb") as f:
            for _, b in kept:
                f.write(b)
    return {
        "case": case["name"], "mode": mode, "steps": steps, "matched_steps": matched, "first_mismatch": first_mismatch,
        "step_ms": step_ms, "states_file": states_file, "state_steps": [k for k, _ in kept] if states_file else [],
    }


def main():
    bundle, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    manifest = json.load(open(os.path.join(bundle, "manifest.json")))
    cuda = torch.cuda.is_available()
    env = {"torch": torch.__version__, "cuda": torch.version.cuda, "device": torch.cuda.get_device_name(0) if cuda else "none"}
    print(json.dumps(env), flush=True)
    runs = []
    for case in manifest["cases"]:
        modes = ["exact", "tf32", "bf16", "cpu"] if cuda else ["cpu", "bf16"]
        for mode in modes:
            # The first mode's checkpoint states come back for compare.ts (the GPU's exact run where there is one).
            r = replay(bundle, case, mode, out_dir, mode == modes[0])
            print(json.dumps(r), flush=True)
            runs.append(r)
    with open(os.path.join(out_dir, "report.json"), "w") as f:
        json.dump({"env": env, "runs": runs}, f, indent=2)


if __name__ == "__main__":
    main()
