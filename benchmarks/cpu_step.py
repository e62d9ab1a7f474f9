"""Guard for the CPU training path: one training step of the classifier against the bare bidirectional nn.LSTM
on the same batch, as a ratio measured in one process; once with the settings training runs with (denormal floats
flushed to zero, freed memory kept) and once, in a second process, without. Needs no data: the batch is random
token ids of one length."""

import argparse
import subprocess
import sys
import time
from dataclasses import replace

import torch
from torch import nn

from common import median
from sentiment.config import preset
from sentiment.cpu_lstm import prepare_for_training
from sentiment.model import BiLSTMClassifier


def forward_denormal_share(model: BiLSTMClassifier, ids: torch.Tensor) -> float:
    """Share of denormal entries in d(forward direction's last states)/d(embeddings), over all tokens."""
    embedded = model.embedding(ids).detach().requires_grad_(True)
    model.lstm(embedded)[0][:, -1, :model.config.hidden_size].sum().backward()
    grad = embedded.grad
    return float(((grad != 0) & (grad.abs() < torch.finfo(grad.dtype).tiny)).float().mean())


def measure(args) -> None:
    """Time the three steps in this process and print one line each, then the ratio."""
    setup = prepare_for_training() if args.tuned else "CPU: torch's defaults"  # first, before worker threads start
    torch.manual_seed(0)
    cfg = replace(preset(args.preset).model, vocab_size=10_002)
    model = BiLSTMClassifier(cfg).train()
    ids = torch.randint(2, 10_002, (args.batch_size, args.tokens))
    lengths = torch.full((args.batch_size,), args.tokens)
    labels = torch.randint(0, 2, (args.batch_size,)).float()
    bce = nn.functional.binary_cross_entropy_with_logits

    def classifier_loss():  # the trainer's step: the model as train.py runs it on the CPU
        return bce(model(ids, lengths), labels)

    def tutorial_head_loss():  # the bare kernel over the same embeddings, the tutorial's head on its final states
        _, (hidden, _) = model.lstm(model.dropout(model.embedding(ids)))
        return bce(model.fc(model.dropout(torch.cat([hidden[-2], hidden[-1]], dim=1))).squeeze(1), labels)

    def outputs_sum_loss():  # the bare kernel with a gradient of 1 at every output
        return model.lstm(model.dropout(model.embedding(ids)))[0].sum()

    steps = {"classifier (right-padded path)": classifier_loss, "bare nn.LSTM, tutorial head": tutorial_head_loss,
             "bare nn.LSTM, sum of outputs": outputs_sum_loss}
    print(f"{setup}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads; batch {args.batch_size} x {args.tokens} tokens, "
          f"{args.preset} preset ({cfg.pooling} pooling)")
    print(f"  gradients of the forward direction's last states w.r.t. the embeddings: "
          f"{100 * forward_denormal_share(model, ids):.1f}% denormal")
    times = {name: [] for name in steps}
    for round_ in range(args.repeat + 1):  # interleaved, so that a change in the machine's load hits all alike
        for name, loss_fn in steps.items():
            model.zero_grad(set_to_none=True)
            start = time.perf_counter()
            loss_fn().backward()
            if round_:  # the first round warms up
                times[name].append(time.perf_counter() - start)
    seconds = {name: median(t) for name, t in times.items()}
    for name, s in seconds.items():
        print(f"  {name:32s} {s:6.2f} s  {args.batch_size * args.tokens / s:7,.0f} tokens/s")
    ours = seconds["classifier (right-padded path)"]
    print(f"  classifier speed / bare kernel speed: {seconds['bare nn.LSTM, tutorial head'] / ours:.2f} "
          f"(tutorial head), {seconds['bare nn.LSTM, sum of outputs'] / ours:.2f} (sum of outputs)")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--preset", default="seed", help="model preset (seed: the tutorial's model, last-state pooling)")
    p.add_argument("--batch-size", type=int, default=30, help="reviews per batch")
    p.add_argument("--tokens", type=int, default=280, help="tokens per review")
    p.add_argument("--repeat", type=int, default=3, help="timed steps per row, after one warm-up step")
    p.add_argument("--tuned", action=argparse.BooleanOptionalAction, default=None,
                   help="measure in this process only, with or without training's CPU settings "
                        "(default: both, one process each)")
    args = p.parse_args()
    if args.tuned is not None:
        return measure(args)
    for flag in ("--tuned", "--no-tuned"):  # a process each: worker threads keep the setting they started with
        sys.stdout.flush()
        subprocess.run([sys.executable, __file__, flag, *sys.argv[1:]], check=True)


if __name__ == "__main__":
    main()
