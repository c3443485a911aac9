"""The binding probe's stream replayed in PyTorch (bench/binding_replay.ts writes the stream).

A LLaMA-style decoder of the dumped config (peer_torch.py's layers: RMSNorm, RoPE — here with
LLaMA-3.1's scaling —, grouped-query attention, SwiGLU; untied head, N(0, initStd^2) weights), the mlp2x_gelu projector (N(0, 0.02^2)
weights, zero biases), the object tokens spliced at the image placeholder, the loss on the answer
tokens, AdamW (no weight decay), linear warmup over 3% then cosine to zero, clipping at 1: the recipe
of `probe binding --encoding objects --scratch`. Every --eval-every steps it answers the held-out
colour questions (the next token after the prompt, argmax over the vocabulary) and prints the share
answered right and the share answered with a colour present in the scene.

--format rewrites each sample's questions and answers:
  lib           the probe's own ids: chat template, question, short-answer prompt, answer
  lib-noprompt  the same without "Answer the question using a single word or phrase."
  plain         <bos> <image> question "\\n" answer <eot> ... (the family's BPE, no template)
  prompt        plain with the short-answer prompt after each question
  words         plain with one token per word
  words-prompt  words with the short-answer prompt
"""
import argparse
import json
import math
import os
import random
import re
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_torch import DecoderLayer, RMSNorm  # noqa: E402  the bench's LLaMA-style layer, one definition

FORMATS = ["lib", "lib-noprompt", "plain", "prompt", "words", "words-prompt"]
p = argparse.ArgumentParser()
p.add_argument("dump")
p.add_argument("--format", default="lib", choices=FORMATS)
p.add_argument("--max-turns", type=int, default=0, help="keep the first N questions of each sample (0: all)")
p.add_argument("--one-turn-until", type=int, default=0, help="one question per sample before this step")
p.add_argument("--plain-until", type=int, default=0, help="lib formats: the plain format's samples before this step (a format curriculum)")
p.add_argument("--prompt-share", type=float, default=1.0, help="prompt / words-prompt: share of training questions with the prompt")
p.add_argument("--rope-theta", type=float)
p.add_argument("--no-scaling", action="store_true", help="RoPE without LLaMA-3.1's frequency scaling")
p.add_argument("--lr", type=float, default=5e-4)
p.add_argument("--steps", type=int, default=0, help="train on the first N dumped steps (0: all); the cosine spans N")
p.add_argument("--eval-every", type=int, default=50)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--seed", type=int, default=0)
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)

D = json.load(open(args.dump))
c = D["config"]
if args.rope_theta:
    c["ropeTheta"] = args.rope_theta
if args.no_scaling:
    c["ropeScaling"] = None
T, DIM = D["tokens"], D["dim"]
train_features = torch.tensor(D["trainFeatures"], dtype=torch.float32).view(-1, T, DIM)
held_features = torch.tensor(D["heldFeatures"], dtype=torch.float32).view(-1, T, DIM)
IMG, IGN = -200, -100
VOCAB, ENC, EOT, BOS = D["vocab"], D["encodings"], D["special"]["eot"], D["special"]["bos"]
PROMPT = D["shortAnswerPrompt"]
QUESTION = re.compile(r"What color is the (\w+)\?")


def text_of(ids):
    return "".join(VOCAB[i] if i >= 0 else "" for i in ids)


def turns_of(ids, labels):
    """A dumped sample's (category, answer) pairs, read back from its tokens."""
    answers, current = [], []
    for label in labels:
        if label == IGN:
            continue
        if label == EOT:
            answers.append(text_of(current))
            current = []
        else:
            current.append(label)
    categories = QUESTION.findall(text_of(ids))
    assert len(categories) == len(answers), (text_of(ids), answers)
    return list(zip(categories, answers))


WORDS = {}


def word(w):
    return WORDS.setdefault(w, len(WORDS))


for w in ["<eot>", "<bos>"] + D["colours"]:
    word(w)
share_rng = random.Random(7)


def rewritten(pairs, asking=False, plain=False):
    """ids and labels of `pairs` in --format (the answers and each turn's end supervised); `asking`: a prompt for the last question."""
    ids, labels = [], []

    def add(tokens, supervised):
        ids.extend(tokens)
        labels.extend(tokens if supervised else [IGN] * len(tokens))

    words = args.format.startswith("words") and not plain
    add([word("<bos>") if words else BOS, IMG], False)
    for i, (category, answer) in enumerate(pairs):
        prompted = not plain and args.format.endswith("prompt") and (asking or share_rng.random() < args.prompt_share)
        if words:
            add([word(w) for w in ["what", "color", "is", "the", category, "?"] + (PROMPT.lower().rstrip(".").split() + ["."] if prompted else [])], False)
        else:
            q = f"What color is the {category}?"
            add(ENC[f"{q}\n{PROMPT}" if prompted else q] + ENC["\n"], False)
        if asking and i == len(pairs) - 1:
            break
        add([word(answer), word("<eot>")] if words else ENC[answer] + [EOT], True)
    return ids, labels


def find(seq, sub):
    return next((i for i in range(len(seq) - len(sub) + 1) if seq[i:i + len(sub)] == sub), -1)


def without_prompt(ids, labels):
    ids, labels = list(ids), list(labels)
    for category in set(QUESTION.findall(text_of(ids))):
        full, short = ENC[f"What color is the {category}?\n{PROMPT}"], ENC[f"What color is the {category}?"]
        while (at := find(ids, full)) >= 0:
            ids[at:at + len(full)] = short
            labels[at:at + len(full)] = [IGN] * len(short)
    return ids, labels


steps = args.steps or len(D["steps"])
for index, batch in enumerate(D["steps"][:steps]):
    for b in batch:
        keep = 1 if index < args.one_turn_until else args.max_turns
        if index < args.plain_until:
            pairs = turns_of(b["ids"], b["labels"])
            b["ids"], b["labels"] = rewritten(pairs[:keep] if keep else pairs, plain=True)
            continue
        if args.format in ("lib", "lib-noprompt") and keep:
            raise SystemExit("--max-turns and --one-turn-until need a rewritten format (plain, prompt, words, words-prompt)")
        if args.format == "lib-noprompt":
            b["ids"], b["labels"] = without_prompt(b["ids"], b["labels"])
        elif args.format != "lib":
            pairs = turns_of(b["ids"], b["labels"])
            b["ids"], b["labels"] = rewritten(pairs[:keep] if keep else pairs)
for h in D["held"]:
    if args.format == "lib-noprompt":
        h["prompt"], _ = without_prompt(h["prompt"], [IGN] * len(h["prompt"]))
    elif args.format != "lib":
        h["prompt"], _ = rewritten([(QUESTION.findall(text_of(h["prompt"]))[0], None)], asking=True)
    h["target"] = word(h["answer"]) if args.format.startswith("words") else ENC[h["answer"]][0]
colour_ids = torch.tensor([word(x) if args.format.startswith("words") else ENC[x][0] for x in D["colours"]])
if args.format.startswith("words"):
    c["vocabSize"] = len(WORDS) + 16
example = D["steps"][0][0]
print(f"format {args.format}: {example['ids']}\n  answers {[x for x in example['labels'] if x != IGN]}", flush=True)


def rope_frequencies(c):
    hd = c["rotaryDim"]
    inv = 1.0 / (c["ropeTheta"] ** (torch.arange(0, hd, 2).float() / hd))
    s = c.get("ropeScaling")
    if not s:
        return inv
    low_wavelength, high_wavelength = s["originalMaxPositions"] / s["lowFreqFactor"], s["originalMaxPositions"] / s["highFreqFactor"]
    out = []
    for f in inv.tolist():
        wavelength = 2 * math.pi / f
        if wavelength < high_wavelength:
            out.append(f)
        elif wavelength > low_wavelength:
            out.append(f / s["factor"])
        else:
            smooth = (s["originalMaxPositions"] / wavelength - s["lowFreqFactor"]) / (s["highFreqFactor"] - s["lowFreqFactor"])
            out.append((1 - smooth) * f / s["factor"] + smooth * f)
    return torch.tensor(out)


class Llava(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hiddenSize"]
        self.embed = nn.Embedding(c["vocabSize"], d)
        self.layers = nn.ModuleList(DecoderLayer(c) for _ in range(c["numLayers"]))
        self.norm = RMSNorm(d, c["normEps"])
        self.head = nn.Linear(d, c["vocabSize"], bias=False)
        self.projector = nn.Sequential(nn.Linear(DIM, d), nn.GELU(), nn.Linear(d, d))
        for m in [self.embed, self.head, *(x for layer in self.layers for x in layer.modules() if isinstance(x, nn.Linear))]:
            nn.init.normal_(m.weight, 0, c["initStd"])
        for m in self.projector:
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.02)
                nn.init.zeros_(m.bias)
        angles = torch.outer(torch.arange(c["maxPositions"]).float(), rope_frequencies(c))
        angles = torch.cat([angles, angles], -1)
        self.register_buffer("cos", angles.cos())
        self.register_buffer("sin", angles.sin())

    def batch(self, samples, features):
        """Right-padded embeddings with each sample's projected object tokens at its placeholder, labels, lengths."""
        image = self.projector(features)
        rows, labels = [], []
        for i, (ids, sample_labels) in enumerate(samples):
            at = ids.index(IMG)
            text = self.embed(torch.tensor([x for x in ids if x != IMG]))
            rows.append(torch.cat([text[:at], image[i], text[at:]], 0))
            labels.append(sample_labels[:at] + [IGN] * T + sample_labels[at + 1:])
        longest = max(r.shape[0] for r in rows)
        x = torch.stack([F.pad(r, (0, 0, 0, longest - r.shape[0])) for r in rows])
        y = torch.tensor([l + [IGN] * (longest - len(l)) for l in labels])
        return x, y, [r.shape[0] for r in rows]

    def hidden(self, x):
        t = x.shape[1]
        for layer in self.layers:
            x = layer(x, self.cos[:t], self.sin[:t])
        return self.norm(x)


model = Llava(c)
optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
warmup = max(1, round(0.03 * steps))


def rate(step):
    if step < warmup:
        return args.lr * (step + 1) / warmup
    return args.lr * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))


@torch.no_grad()
def evaluate():
    held = D["held"]
    x, _, lengths = model.batch([(h["prompt"], [IGN] * len(h["prompt"])) for h in held], held_features[[h["scene"] for h in held]])
    last = model.head(model.hidden(x)[torch.arange(len(held)), torch.tensor(lengths) - 1])
    right = sum(int(last[i].argmax().item() == h["target"]) for i, h in enumerate(held))
    present = sum(int(held_features[h["scene"]][:, :D["colourDims"]].sum(0)[last[i, colour_ids].argmax()].item() > 0) for i, h in enumerate(held))
    return 100 * right / len(held), 100 * present / len(held)


started = time.time()
right, present = evaluate()
print(f"step 0: colour {right:.1f}% (a colour of the scene {present:.1f}%)", flush=True)
losses = []
for step in range(steps):
    for group in optimizer.param_groups:
        group["lr"] = rate(step)
    batch = D["steps"][step]
    x, y, _ = model.batch([(b["ids"], b["labels"]) for b in batch], train_features[[b["scene"] for b in batch]])
    hidden = model.hidden(x)[:, :-1].reshape(-1, c["hiddenSize"])
    targets = y[:, 1:].reshape(-1)
    kept = targets != IGN
    loss = F.cross_entropy(model.head(hidden[kept]), targets[kept])
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    losses.append(loss.item())
    if (step + 1) % args.eval_every == 0 or step + 1 == steps:
        right, present = evaluate()
        print(f"step {step + 1}: loss {sum(losses) / len(losses):.3f}  colour {right:.1f}% (a colour of the scene {present:.1f}%)  {time.time() - started:.0f} s", flush=True)
        losses = []
