"""Train the BiLSTM sentiment classifier on IMDB and write a Hub-ready model folder (optionally push it)."""

import argparse
import sys

from sentiment import download, hub
from sentiment.config import KEEP_BEST, PRESETS, SCHEDULES, VALID_SPLITS, TrainConfig, preset
from sentiment.cpu_lstm import prepare_for_training
from sentiment.distill import load_teachers
from sentiment.errors import DataError, DownloadError, SettingsError, UserError
from sentiment.model import POOLINGS
from sentiment.batching import TRUNCATE_MODES
from sentiment.pipeline import train_model
from sentiment.training import resolve_device


def parse_args(argv=None):
    """Flags named after a setting store it under "model.", "lm.", "adversarial.", "distill." or "train." (its
    home in TrainConfig)."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", help="aclImdb_v1.tar.gz, its aclImdb/ folder, or an encoded corpus folder "
                                  "(default: download the archive into the cache folder)")
    p.add_argument("--vectors", help="GloVe 6B file: glove.6B.100d.txt (plain, .gz, .xz) or glove.6B.zip "
                                     "(default: download glove.6B.zip into the cache folder)")
    p.add_argument("--out", help="model folder to write (default: runs/<preset>)")
    p.add_argument("--preset", default="default", choices=sorted(PRESETS),
                   help="'seed': the tutorial's recipe; 'default': the shipped model's (default)")
    t = p.add_argument_group("training settings (the preset's by default)")
    t.add_argument("--epochs", dest="train.epochs", metavar="EPOCHS", type=int, help="number of epochs")
    t.add_argument("--batch-size", dest="train.batch_size", metavar="BATCH_SIZE", type=int, help="reviews per batch")
    t.add_argument("--lr", dest="train.lr", metavar="LR", type=float, help="Adam learning rate")
    t.add_argument("--lr-schedule", dest="train.lr_schedule", choices=SCHEDULES,
                   help="learning-rate schedule")
    t.add_argument("--max-words", "--vocab-size", dest="train.max_words", metavar="MAX_WORDS", type=int,
                   help="vocabulary: the most frequent training words kept")
    t.add_argument("--keep-best", dest="train.keep_best", choices=KEEP_BEST,
                   help="keep the epoch with the best validation loss, or accuracy (ties broken by loss)")
    t.add_argument("--patience", dest="train.patience", metavar="PATIENCE", type=int,
                   help="stop after this many epochs without a better validation score (--keep-best)")
    t.add_argument("--valid-split", dest="train.valid_split", choices=VALID_SPLITS,
                   help="validation reviews drawn one by one (review) or whole movies at a time (movie)")
    t.add_argument("--seed", dest="train.seed", metavar="SEED", type=int, help="random seed")
    t.add_argument("--split-seed", dest="train.split_seed", metavar="SEED", type=int,
                   help="draw the validation split with this seed rather than --seed, so that models of several "
                        "seeds share one validation set")
    t.add_argument("--amp", dest="train.amp", action="store_true", default=None,
                   help="bfloat16 mixed precision on CUDA")
    t.add_argument("--fuse-directions", dest="train.fuse_directions", action="store_true", default=None,
                   help="on CUDA, run both directions of each LSTM layer as one LSTM (half the kernel launches; "
                        "the same states up to rounding)")
    t.add_argument("--train-limit", dest="train.train_limit", metavar="TRAIN_LIMIT", type=int,
                   help="train (and pretrain) on N reviews drawn with the seed (0: all)")
    t.add_argument("--identity-substitution", dest="train.identity_substitution", metavar="SHARE", type=float,
                   help="swap the identity words (religion, nationality, race, sexuality) of this share of the "
                        "training reviews that have any for others of their group (0: none)")
    t.add_argument("--sentence-share", dest="train.sentence_share", metavar="SHARE", type=float,
                   help="add, for this share of the training reviews, one of their sentences (4 to 40 tokens) as "
                        "an extra example with the review's label (0: none)")
    t.add_argument("--train-max-tokens", dest="train.train_max_tokens", metavar="MAX_TOKENS", type=int,
                   help="train on reviews cut to this many tokens, fewer than the model reads (--max-tokens) at "
                        "validation, test and in the app (0: --max-tokens)")
    m = p.add_argument_group("model settings (the preset's by default)")
    m.add_argument("--max-tokens", dest="model.max_tokens", metavar="MAX_TOKENS", type=int,
                   help="the most tokens of a review the model reads (and trains on, unless --train-max-tokens), "
                        "0 for all")
    m.add_argument("--truncate", dest="model.truncate", choices=TRUNCATE_MODES,
                   help="which tokens a truncated review keeps")
    m.add_argument("--pooling", dest="model.pooling", choices=POOLINGS,
                   help="how per-token states become one feature vector")
    m.add_argument("--num-layers", dest="model.num_layers", metavar="NUM_LAYERS", type=int, help="LSTM layers")
    m.add_argument("--hidden-size", dest="model.hidden_size", metavar="HIDDEN_SIZE", type=int,
                   help="LSTM hidden size per direction")
    m.add_argument("--dropout", dest="model.dropout", metavar="DROPOUT", type=float,
                   help="dropout on embeddings, between layers and before the output")
    lm = p.add_argument_group("language-model pretraining on the unlabelled reviews (the preset's by default)")
    lm.add_argument("--lm-epochs", dest="lm.epochs", metavar="EPOCHS", type=int,
                    help="epochs of pretraining before fine-tuning, 0 for none")
    lm.add_argument("--lm-lr", dest="lm.lr", metavar="LR", type=float, help="Adam learning rate while pretraining")
    lm.add_argument("--lm-batch-size", dest="lm.batch_size", metavar="BATCH_SIZE", type=int,
                    help="reviews per batch while pretraining")
    lm.add_argument("--lm-dropout", dest="lm.dropout", metavar="DROPOUT", type=float,
                    help="dropout while pretraining, in place of --dropout")
    a = p.add_argument_group("adversarial training on the embeddings, Miyato et al. 2017 (the default preset: AT)")
    a.add_argument("--at-epsilon", dest="adversarial.at_epsilon", metavar="EPSILON", type=float,
                   help="adversarial training: L2 norm of the perturbation per review, 0 for none")
    a.add_argument("--vat-epsilon", dest="adversarial.vat_epsilon", metavar="EPSILON", type=float,
                   help="virtual adversarial training: L2 norm of the perturbation per review, 0 for none")
    a.add_argument("--vat-xi", dest="adversarial.vat_xi", metavar="XI", type=float,
                   help="VAT's first step in its power iteration")
    a.add_argument("--unlabelled-batch-size", dest="adversarial.unlabelled_batch_size", metavar="N", type=int,
                   help="VAT and entropy terms also on N unlabelled reviews per step, 0 for none")
    a.add_argument("--entropy-weight", dest="adversarial.entropy_weight", metavar="WEIGHT", type=float,
                   help="entropy minimisation on the unlabelled reviews, 0 for none")
    d = p.add_argument_group("distillation on the unlabelled reviews, Hinton et al. 2015 (none by default)")
    d.add_argument("--teacher", dest="distill.teachers", metavar="MODEL", action="append",
                   help="a model folder (or Hub repo id) trained on the same validation split, whose probabilities "
                        "on the unlabelled reviews the model learns to match; repeat it for an ensemble "
                        "(with --unlabelled-batch-size)")
    d.add_argument("--distill-weight", dest="distill.weight", metavar="WEIGHT", type=float,
                   help="of the distillation loss per unlabelled review, against the labelled loss")
    m.add_argument("--normalize-embeddings", dest="model.normalize_embeddings", action=argparse.BooleanOptionalAction,
                   default=None, help="word vectors at mean 0, variance 1 over training frequencies (with "
                   "adversarial training; the default preset's)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:1 ...")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    p.add_argument("--cache-dir", default=str(download.cache_dir()), help="downloads and encoded corpora")
    p.add_argument("--push-to-hub", metavar="REPO_ID", help="upload the model folder to this Hub repo afterwards")
    return p.parse_args(argv)


def config_from_args(args) -> TrainConfig:
    """The preset with every setting given on the command line put in its home."""
    homes: dict[str, dict] = {"train": {}, "model": {}, "lm": {}, "adversarial": {}, "distill": {}}
    for key, value in vars(args).items():
        if "." in key and value is not None:
            home, name = key.split(".")
            homes[home][name] = value
    if "weight" in homes["distill"] and not homes["distill"].get("teachers"):
        raise SettingsError("--distill-weight weighs what the teachers teach: give --teacher too.")
    return preset(args.preset, model=homes["model"], lm=homes["lm"], adversarial=homes["adversarial"],
                  distill=homes["distill"], **homes["train"])


def fetch(url: str, cache_dir: str, flag: str) -> str:
    """A canonical data file, downloaded into the cache folder once; on failure, says which flag skips it."""
    try:
        return str(download.fetch(url, cache_dir))
    except DownloadError as e:
        raise DataError(f"Could not download {e.url} ({e.reason}); download it yourself and pass its path "
                        f"with {flag}.") from e


def main(argv=None) -> int:
    args = parse_args(argv)
    out = args.out or f"runs/{args.preset}"
    try:
        cfg = config_from_args(args)  # settings are checked here, before any data is read
        device = resolve_device(args.device)
        if device.type == "cpu":
            prepare_for_training()  # before the teachers load, so that torch's worker threads start with it
        teachers = load_teachers(cfg.distill.teachers, cfg)  # a wrong folder is told before anything is downloaded
        data = args.data or fetch(download.IMDB_URL, args.cache_dir, "--data")
        vectors = args.vectors or fetch(download.GLOVE_URL, args.cache_dir, "--vectors")
        train_model(cfg, data=data, vectors=vectors, out=out, device=device, cache_dir=args.cache_dir,
                    resume=args.resume, teachers=teachers)
        if args.push_to_hub:
            print(f"pushed to {hub.push(out, args.push_to_hub)}")
    except UserError as e:  # anything else is a bug, and keeps its traceback
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
