"""From the encoded corpus to the training, validation and test datasets and the vocabulary."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .augment import add_sentences, substitute_identities
from .batching import Dataset, truncate
from .config import TrainConfig
from .model import ModelConfig
from .corpus import Corpus
from .errors import DataError
from .vocab import Vocab


@dataclass
class Prepared:
    vocab: Vocab
    train: Dataset
    valid: Dataset
    test: Dataset | None
    train_token_counts: np.ndarray  # (V,) occurrences of each vocabulary id in the training part
    lm_train: Dataset | None = None  # language-model pretraining: the training part and the unlabelled reviews
    lm_valid: Dataset | None = None  # the validation part, cut as for pretraining
    unlabelled: Dataset | None = None  # IMDB's unlabelled reviews (train/unsup only), for VAT and entropy terms
    identity_substituted: int = 0  # training reviews whose identity words were swapped (augment.py)
    sentences_added: int = 0  # sentences cut from training reviews, added as examples after them (augment.py)


def split_rows(n: int, valid_fraction: float, seed: int,
               movies: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A seeded split of train into (training rows, validation rows); the test split is never used for choices.

    With `movies` (each row's movie), whole movies go to validation, in a seeded order, until it holds at least
    `valid_fraction` of the rows: no movie has reviews on both sides, as none has between train and test.
    """
    rng = np.random.default_rng(seed)
    n_valid = int(round(n * valid_fraction))
    if movies is None:
        rows = rng.permutation(n)
        return np.sort(rows[n_valid:]), np.sort(rows[:n_valid])
    if not movies.all():
        raise DataError("The validation split by movie needs every training review's movie, and this corpus lacks "
                        "some (its archive has no train/urls_pos.txt or urls_neg.txt); split by review instead.")
    titles, groups, sizes = np.unique(movies, return_inverse=True, return_counts=True)
    order = rng.permutation(len(titles))
    chosen = order[:int(np.searchsorted(np.cumsum(sizes[order]), n_valid)) + 1]
    valid = np.isin(groups, chosen)
    return np.flatnonzero(~valid), np.flatnonzero(valid)


def vocab_table(corpus: Corpus, vocab: Vocab) -> np.ndarray:
    """(len(types),) the id each corpus type has in an existing vocabulary (<unk> when it has none)."""
    return np.array([vocab.stoi.get(t, vocab.unk_id) for t in corpus.types], dtype=np.int64)


def encode_rows(corpus: Corpus, split_name: str, rows: np.ndarray, table: np.ndarray, model: ModelConfig) -> Dataset:
    """Reviews `rows` of a split as vocabulary ids (through `table`), truncated as the model reads them."""
    split = corpus.splits[split_name]
    seqs = [truncate(table[split.review(i)], model.max_tokens, model.truncate) for i in rows]
    return Dataset(seqs, split.labels[rows].astype(np.float32), Vocab.pad_id)


def train_valid_rows(corpus: Corpus, cfg: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """The train split's (training rows, validation rows) as `cfg` splits them: by review or by movie, drawn with
    its validation seed."""
    movies = corpus.splits["train"].movies if cfg.valid_split == "movie" else None
    return split_rows(len(corpus.splits["train"]), cfg.valid_fraction, cfg.valid_seed, movies)


def prepare(corpus: Corpus, cfg: TrainConfig) -> Prepared:
    """The vocabulary from the training rows only; every split encoded with it and truncated as configured (the
    reviews trained on, labelled and unlabelled, to cfg.train_max_tokens when that is set).

    With `cfg.train_limit`, the training part (and the pretraining texts) is a seeded sample of that size; the
    vocabulary still comes from the whole training part, so that a quick run reads the same words as a full one.
    """
    train_rows, valid_rows = train_valid_rows(corpus, cfg)
    counts = corpus.type_counts(train_rows)
    vocab, table = corpus.vocab(cfg.max_words, counts)

    test = corpus.splits.get("test")
    lm_train = lm_valid = None
    if cfg.lm.epochs:
        if "unsup" not in corpus.splits:
            raise DataError("language-model pretraining (lm.epochs > 0) needs the unlabelled reviews, and this "
                            "encoded corpus has none; re-encode it from the IMDB archive, or do not pretrain.")
        cut = replace(cfg.model, max_tokens=cfg.lm.max_tokens, truncate="head")
        train_part = encode_rows(corpus, "train", train_rows, table, cut)
        unsup = encode_rows(corpus, "unsup", np.arange(len(corpus.splits["unsup"])), table, cut)
        lm_train = Dataset(train_part.seqs + unsup.seqs, np.concatenate([train_part.labels, unsup.labels]),
                           Vocab.pad_id)
        lm_valid = encode_rows(corpus, "train", valid_rows, table, cut)
    unlabelled = None
    if cfg.adversarial.unlabelled_batch_size:
        if "unsup" not in corpus.splits:
            raise DataError("training on unlabelled reviews (unlabelled_batch_size > 0) needs them, and this "
                            "encoded corpus has none; re-encode it from the IMDB archive, or set it to 0.")
        unlabelled = encode_rows(corpus, "unsup", np.arange(len(corpus.splits["unsup"])), table, cfg.training_cut)
    train = encode_rows(corpus, "train", train_rows, table, cfg.training_cut)
    if cfg.train_limit:  # quick experiments on a fixed subset of the training part
        train = train.sample(cfg.train_limit, cfg.seed)
        lm_train = lm_train.sample(cfg.train_limit, cfg.seed) if lm_train is not None else None
    substituted = 0
    if cfg.identity_substitution:
        train, substituted = substitute_identities(train, vocab, cfg.identity_substitution, cfg.seed)
    sentences_added = 0
    if cfg.sentence_share:
        train, sentences_added = add_sentences(train, vocab, cfg.sentence_share, cfg.seed)
    return Prepared(
        vocab=vocab,
        train=train,
        valid=encode_rows(corpus, "train", valid_rows, table, cfg.model),
        test=encode_rows(corpus, "test", np.arange(len(test)), table, cfg.model) if test is not None else None,
        train_token_counts=np.bincount(table, weights=counts, minlength=len(vocab)).astype(np.int64),
        lm_train=lm_train,
        lm_valid=lm_valid,
        unlabelled=unlabelled,
        identity_substituted=substituted,
        sentences_added=sentences_added,
    )
