"""Train the BiLSTM sentiment classifier on IMDB and write a Hub-ready model folder (optionally push it)."""

import argparse
import sys
from dataclasses import fields

from sentiment import download, hub
from sentiment.config import PRESETS, TrainConfig, preset
from sentiment.imdb import DataError
from sentiment.model import POOLINGS, ModelConfig
from sentiment.batching import TRUNCATE_MODES
from sentiment.pipeline import train_model
from sentiment.training import resolve_device


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", help="aclImdb_v1.tar.gz, its aclImdb/ folder, or an encoded corpus folder "
                                  "(default: download the archive into the cache folder)")
    p.add_argument("--vectors", help="GloVe 6B file: glove.6B.100d.txt (plain, .gz, .xz) or glove.6B.zip "
                                     "(default: download glove.6B.zip into the cache folder)")
    p.add_argument("--out", help="model folder to write (default: runs/<preset>)")
    p.add_argument("--preset", default="default", choices=sorted(PRESETS),
                   help="'seed': the tutorial's recipe; 'default': the shipped model's (default)")
    p.add_argument("--epochs", type=int, help="number of epochs (preset's by default)")
    p.add_argument("--batch-size", type=int, help="reviews per batch (preset's by default)")
    p.add_argument("--lr", type=float, help="Adam learning rate (preset's by default)")
    p.add_argument("--vocab-size", type=int, help="most frequent training words kept (preset's by default)")
    p.add_argument("--max-tokens", type=int, help="truncate reviews to this many tokens, 0 for none")
    p.add_argument("--truncate", choices=TRUNCATE_MODES, help="which tokens a truncated review keeps")
    p.add_argument("--pooling", choices=POOLINGS, help="how per-token states become one feature vector")
    p.add_argument("--num-layers", type=int, help="LSTM layers")
    p.add_argument("--hidden-size", type=int, help="LSTM hidden size per direction")
    p.add_argument("--dropout", type=float, help="dropout on embeddings, between layers and before the output")
    p.add_argument("--lr-schedule", choices=("constant", "cosine"), help="learning-rate schedule")
    p.add_argument("--patience", type=int, help="stop after this many epochs without a better validation loss")
    p.add_argument("--lm-epochs", type=int, help="epochs of language-model pretraining on the unlabelled reviews "
                                                 "before fine-tuning, 0 for none (preset's by default)")
    p.add_argument("--lm-lr", type=float, help="Adam learning rate while pretraining")
    p.add_argument("--lm-batch-size", type=int, help="reviews per batch while pretraining")
    p.add_argument("--lm-dropout", type=float, help="dropout while pretraining, in place of --dropout")
    p.add_argument("--seed", type=int, help="random seed (preset's by default: 123)")
    p.add_argument("--amp", action="store_true", default=None, help="bfloat16 mixed precision on CUDA")
    p.add_argument("--train-limit", type=int, default=0,
                   help="train (and pretrain) on N reviews drawn with the seed (0: all)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:1 ...")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    p.add_argument("--cache-dir", default=str(download.cache_dir()), help="downloads and encoded corpora")
    p.add_argument("--push-to-hub", metavar="REPO_ID", help="upload the model folder to this Hub repo afterwards")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    settings = {f.name for f in fields(TrainConfig)} | {f.name for f in fields(ModelConfig)}
    cfg = preset(args.preset, **{k: v for k, v in vars(args).items() if k in settings})  # flags named as fields
    out = args.out or f"runs/{args.preset}"
    try:
        device = resolve_device(args.device)
        data = args.data or download.fetch(download.IMDB_URL, download.cache_dir(), "--data")
        vectors = args.vectors or download.fetch(download.GLOVE_URL, download.cache_dir(), "--vectors")
        train_model(cfg, data, vectors, out, device, args.cache_dir, args.resume, args.train_limit)
        if args.push_to_hub:
            print(f"pushed to {hub.push(out, args.push_to_hub)}")
    except (DataError, FileNotFoundError, ConnectionError, ValueError, hub.ModelLoadError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
