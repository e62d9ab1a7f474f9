"""Where a training epoch's time goes on a GPU, and what each change to the loop buys: the default preset's first
batches, from the same weights, in one run, for each way of running them.

- "waiting every batch": the loop made to wait for the GPU before each batch and before and after each objective,
  as the loop before it did at least (it also waited inside each forward pass, for copies of the lengths and the
  packing order from ordinary memory), so that the CPU cannot queue the next batch while the GPU runs this one,
  and packing with torch's pack_padded_sequence and pad_packed_sequence, as it did;
- "no waits": nothing waits until the end (pinned copies, loss and accuracy added up on the GPU), torch's packing;
- "this loop": no waits, and packing by one gather each way (sentiment/packing.py): torch's packing copies slice
  by slice, and its gradient one time step at a time, each copy a kernel launch;
- "both directions as one LSTM": this loop with --fuse-directions (packing.py), the same arithmetic up to the
  order of the sums, with half the kernel launches per time step;
- "right-padded": this loop on the CPU's path (cpu_lstm.py: each direction a one-way LSTM over right-padded
  reviews), which reads nothing from the lengths on the host and so can be captured;
- then this loop with non-deterministic cuDNN (benchmark mode), with bfloat16 autocast (--amp), and with batches
  of 128 and of 256 (other recipes, with fewer launches an epoch; 256 at twice the learning rate: on the CPU that
  recipe lost 0.67 points on validation, docs/experiments.md, so these rows say what an epoch would save, no more);
- last, "CUDA graphs": the right-padded path, each batch padded to a multiple of 64 tokens, each training step
  captured once per shape and replayed (see `graphed`).

Every row starts from the same weights and random state, so the first three rows (the same arithmetic) must print
the same training loss, and the fourth the same to about three decimals. Each row prints milliseconds per batch,
tokens per second and its speed-up over the first row in tokens per second; `--profile` adds torch.profiler's tables
of the operations that took the most GPU time and the most CPU time over 20 batches of this loop, with and without
--fuse-directions, and the kernels' own time per batch: the least a batch could take if nothing else held the GPU
back (launches, waits).

Run it on a machine with a GPU; the data goes there as two small files that `--prepare DIR` writes here (the
encoded corpus and GloVe cut to the vocabularies of both validation splits, about 29 MB together):

    python benchmarks/gpu_epoch.py --prepare .gpu --vectors ../shared/data/glove/glove.6B.100d.partial.txt.xz
    python benchmarks/gpu_epoch.py --data .gpu/corpus --vectors .gpu/glove.vocab.txt.xz   # on the GPU machine

On a CPU it runs too (`--device cpu --batches 4`), which checks the script, not the figures.
"""

import contextlib
import copy
import lzma
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from common import corpus, data_args
import sentiment.model
from sentiment.adversarial import adversarial_objective
from sentiment.batching import to_device
from sentiment.cpu_lstm import right_padded_states
from sentiment.config import preset
from sentiment.data import prepare
from sentiment.glove import read_vectors
from sentiment.model import BiLSTMClassifier
from sentiment.packing import length_order
from sentiment.pipeline import build_model
from sentiment.training import epoch_batches, make_optimizer, resolve_device, run_epoch, set_seed


def prepare_files(args, cfg) -> None:
    """The encoded corpus of train and test, and GloVe's lines for the words of the preset's vocabulary, drawn
    from the training part of either validation split (by movie, as the preset, or by review, as v1's recipe)."""
    out = Path(args.prepare)
    data = corpus(args)
    words = set()
    for split in ("movie", "review"):
        words |= set(prepare(data, replace(cfg, valid_split=split)).vocab.itos)
    data.save(out / "corpus")
    vectors = read_vectors(args.vectors, words, cfg.model.embedding_dim)
    with lzma.open(out / "glove.vocab.txt.xz", "wt", encoding="utf-8") as f:
        for word, vector in vectors.items():
            f.write(word + " " + " ".join(f"{x:.6g}" for x in vector) + "\n")
    print(f"wrote {out / 'corpus'} and {out / 'glove.vocab.txt.xz'} ({len(vectors):,} of {len(words):,} words)")


def waiting(objective, device):
    """The objective, made to wait for the GPU before and after its passes, as the loop before did."""

    def wrapped(model, batch):
        torch.cuda.synchronize(device)
        step = objective(model, batch)
        torch.cuda.synchronize(device)
        return step

    return wrapped if device.type == "cuda" else objective


def waiting_batches(batches, device):
    """The batches, each handed out once the GPU has finished the work queued before."""
    for batch in batches:
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        yield batch


def torch_packing(lstm, embedded, lengths):
    """packed_states as it was before packing.py: torch's pack_padded_sequence and pad_packed_sequence (reviews of
    equal length in length_order, as packing.py has them, so that the rows compare the copies alone)."""
    lengths = lengths.cpu()
    order = length_order(lengths)
    index = to_device(order, embedded.device)
    packed = pack_padded_sequence(embedded.index_select(0, index), lengths[order], batch_first=True)
    out, _ = lstm(packed)
    states, _ = pad_packed_sequence(out, batch_first=True, total_length=embedded.shape[1])
    return states.index_select(0, torch.argsort(index))


def timed(name, start_model, batches, cfg, device, objective, first=None, wait=False, packing=None) -> float:
    """Train a copy of `start_model` on `batches` (`wait`: as the loop before did; `packing`: in place of
    packed_states); prints and returns tokens per second."""
    with packing_replaced(packing):
        return _timed(name, start_model, batches, cfg, device, objective, first, wait)


@contextlib.contextmanager
def packing_replaced(packing):
    """The model's packed path run by `packing` (a function like packed_states) for a while; None: as it is."""
    ours = sentiment.model.packed_states
    sentiment.model.packed_states = packing or ours
    try:
        yield
    finally:
        sentiment.model.packed_states = ours


def copy_for(start_model: BiLSTMClassifier, cfg) -> BiLSTMClassifier:
    """A copy of the model to train, run as `cfg` says (--fuse-directions)."""
    model = copy.deepcopy(start_model)
    model.fused_directions = cfg.fuse_directions
    return model


def _timed(name, start_model, batches, cfg, device, objective, first, wait) -> float:
    model = copy_for(start_model, cfg)
    optimizer, scheduler = make_optimizer(model, cfg.lr, cfg.lr_schedule, cfg.epochs * len(batches))
    torch.manual_seed(cfg.seed)  # the same dropout masks in every row: the first three must give the same loss
    if wait:
        objective = waiting(objective, device)
    stats = run_epoch(model, waiting_batches(batches, device) if wait else batches, device, optimizer, scheduler,
                      cfg.clip, cfg.amp, objective=objective, desc=name)
    speed = stats.tokens_per_second
    print(f"{name:44s} {1000 * stats.seconds / len(batches):7.1f} ms/batch {speed:11,.0f} tokens/s "
          f"{speed / (first or speed):5.2f}x (train loss {stats.loss:.4f})", flush=True)
    return speed


def main():
    p = data_args(__doc__)
    p.add_argument("--vectors", required=True, help="GloVe 6B 100d file (a cut one: see --prepare)")
    p.add_argument("--prepare", metavar="DIR", help="write the corpus and cut GloVe into DIR, and stop")
    p.add_argument("--batches", type=int, default=150, help="batches timed per row (an epoch has 352)")
    p.add_argument("--device", default="auto")
    p.add_argument("--profile", action="store_true", help="also print torch.profiler's table of GPU kernels")
    args = p.parse_args()
    cfg = preset("default")
    if args.prepare:
        return prepare_files(args, cfg)
    device = resolve_device(args.device)
    prepared = prepare(corpus(args, splits=("train",)), cfg)
    cfg = replace(cfg, model=replace(cfg.model, vocab_size=len(prepared.vocab)))
    start, _ = build_model(cfg, prepared, args.vectors, device, log=lambda *a: None)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"{name}, torch {torch.__version__}; default preset (1-layer BiLSTM 256, AT epsilon "
          f"{cfg.adversarial.at_epsilon}, batch {cfg.batch_size}); {args.batches} batches per row")

    def batches(config):
        it = epoch_batches(prepared.train, config, epoch=1)
        return [b for _, b in zip(range(args.batches), it)]

    plain, objective = batches(cfg), adversarial_objective(cfg.adversarial)
    warm = copy.deepcopy(start)  # cuDNN's set-up and the allocator's first blocks, outside the timings
    run_epoch(warm, plain[:5], device, torch.optim.Adam(warm.parameters()), objective=objective, desc="warm-up")
    first = timed("waiting every batch (the loop before)", start, plain, cfg, device, objective, wait=True,
                  packing=torch_packing)
    timed("no waits, torch's packing", start, plain, cfg, device, objective, first, packing=torch_packing)
    timed("this loop (no waits, packing by gathers)", start, plain, cfg, device, objective, first)
    fused = replace(cfg, fuse_directions=True)
    timed("this loop, both directions as one LSTM", start, plain, fused, device, objective, first)
    timed("this loop, right-padded (as on the CPU)", start, plain, cfg, device, objective, first,
          packing=right_padded)
    torch.use_deterministic_algorithms(False)
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = False, True
    timed("this loop, non-deterministic kernels", start, plain, cfg, device, objective, first)
    set_seed(cfg.seed)  # deterministic again
    timed("this loop, --amp (bfloat16)", start, plain, replace(cfg, amp=True), device, objective, first)
    for size, lr in ((128, cfg.lr), (256, 2 * cfg.lr)):  # 256 at twice the rate, as measured on the CPU
        big = replace(cfg, batch_size=size, lr=lr)
        timed(f"this loop, batches of {size} (another recipe)", start, batches(big), big, device, objective, first)
    if args.profile and device.type == "cuda":
        for config in (cfg, fused):
            profile(start, plain[:20], config, device, objective)
    # last, as a capture that fails can leave the GPU unusable for the rest of the process
    graphed("right-padded, fixed shapes, CUDA graphs", start, plain, cfg, device, objective, first)


def right_padded(lstm, embedded, lengths):
    """In place of packed_states: the CPU's path (one one-way LSTM a direction over right-padded reviews), which
    needs no packing order read from the lengths, so that a CUDA graph can hold it."""
    return right_padded_states(lstm, embedded, lengths, lstm.training)


def graphed(name, start_model, batches, cfg, device, objective, first) -> None:
    """The right-padded path with each batch padded to a multiple of 64 tokens, so that an epoch has a dozen shapes,
    and the whole training step (both passes, clipping, Adam, the learning rate a tensor that the schedule fills)
    captured as one CUDA graph per shape and replayed: the host then launches one graph a batch, not thousands of
    kernels. The first pass over `batches` captures (after three eager steps a shape, as torch asks); the second,
    over the same batches, is timed, so its training loss is not the other rows'. On a CPU the same steps run
    eagerly (no graphs), which checks the script: there the first pass is this loop's arithmetic on padded batches,
    its loss the other rows' but for the dropout masks (drawn for the padded shape)."""
    try:
        with packing_replaced(right_padded):
            _graphed(name, start_model, batches, cfg, device, objective, first)
    except RuntimeError as e:  # a kernel that cannot be captured: say so and go on with the other rows
        print(f"{name:44s} failed: {str(e).splitlines()[0]}", flush=True)


def _graphed(name, start_model, batches, cfg, device, objective, first) -> None:
    cuda = device.type == "cuda"
    model = copy_for(start_model, cfg).train()
    optimizer, scheduler = make_optimizer(model, cfg.lr, cfg.lr_schedule, cfg.epochs * len(batches), capturable=cuda)
    torch.manual_seed(cfg.seed)
    graphs = {}  # (reviews, width) -> (graph, its input buffers, its loss)

    def step(batch) -> torch.Tensor:
        out = objective(model, batch)
        (out.loss_sum / out.predictions).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
        optimizer.step()
        return out.loss_sum.detach()

    def run(batch) -> torch.Tensor:
        """One training step on `batch` padded to the next multiple of 64 tokens; its loss."""
        B, T = batch.ids.shape
        ids = torch.full((B, 64 * -(-T // 64)), start_model.config.pad_id, dtype=batch.ids.dtype)
        ids[:, :T] = batch.ids
        host = SimpleNamespace(ids=ids, lengths=batch.lengths, labels=batch.labels, unlabelled=None)
        if not cuda:
            optimizer.zero_grad(set_to_none=True)
            return step(host)
        if ids.shape not in graphs:
            graphs[ids.shape] = capture(host)
        graph, static, loss = graphs[ids.shape]
        for name in ("ids", "lengths", "labels"):
            getattr(static, name).copy_(getattr(host, name).pin_memory(), non_blocking=True)
        graph.replay()
        return loss

    def capture(host):
        """Buffers on the GPU holding `host`, three eager steps on them on a side stream, then the step captured."""
        static = SimpleNamespace(**{k: to_device(getattr(host, k), device) for k in ("ids", "lengths", "labels")},
                                 unlabelled=None)
        side = torch.cuda.Stream(device)
        side.wait_stream(torch.cuda.current_stream(device))
        with torch.cuda.stream(side):
            for _ in range(3):
                optimizer.zero_grad(set_to_none=True)
                step(static)
                scheduler.step()
        torch.cuda.current_stream(device).wait_stream(side)
        optimizer.zero_grad(set_to_none=True)  # so that the captured backward writes gradients of its own
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            loss = step(static)
        return graph, static, loss

    def one_pass() -> list[torch.Tensor]:
        """A step on each batch; their losses, once the GPU has run them."""
        losses = []
        for batch in batches:
            losses.append(run(batch).clone())
            scheduler.step()
        if cuda:
            torch.cuda.synchronize(device)
        return losses

    first_pass = one_pass()  # captures
    start = time.perf_counter()
    losses = one_pass()
    seconds = time.perf_counter() - start
    speed = sum(int(b.lengths.sum()) for b in batches) / seconds
    reviews = sum(len(b.labels) for b in batches)
    print(f"{name:44s} {1000 * seconds / len(batches):7.1f} ms/batch {speed:11,.0f} tokens/s "
          f"{speed / (first or speed):5.2f}x (train loss {float(sum(losses)) / reviews:.4f} in the second pass, "
          f"{float(sum(first_pass)) / reviews:.4f} in the first; {len(graphs)} shapes)", flush=True)


def profile(start_model: BiLSTMClassifier, batches, cfg, device, objective) -> None:
    from torch.profiler import ProfilerActivity, profile as torch_profile
    model = copy_for(start_model, cfg)
    optimizer, scheduler = make_optimizer(model, cfg.lr, cfg.lr_schedule, 1000)
    wall = time.perf_counter()
    with torch_profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        run_epoch(model, batches, device, optimizer, scheduler, cfg.clip, objective=objective, desc="profile")
    wall = time.perf_counter() - wall
    events = prof.key_averages()
    # the kernels' own time: an operator's row holds its kernels' time too, so summing every row counts it twice
    kernels = [e for e in events if e.device_type.name == "CUDA"]
    gpu = sum(e.self_device_time_total for e in kernels) / 1e6
    launches = sum(e.count for e in kernels)
    print(f"\nprofile of {len(batches)} batches{', both directions as one LSTM' if cfg.fuse_directions else ''}: "
          f"{wall:.2f} s wall (profiler on), kernels {gpu:.2f} s ({1000 * gpu / len(batches):.1f} ms a batch), "
          f"{launches / len(batches):,.0f} kernels and copies on the GPU per batch")
    for key in ("self_device_time_total", "self_cpu_time_total"):
        print(events.table(sort_by=key, row_limit=14, max_name_column_width=60))


if __name__ == "__main__":
    main()
