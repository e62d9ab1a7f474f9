"""The model folder's README.md: a Hub model card with the measured figures and a `model-index` block."""

from __future__ import annotations

import json

from .batching import head_length


def render(metrics: dict, repo_id: str | None = None) -> str:
    """A model card built only from `metrics` (what train.py or evaluate measured), never from typed-in numbers."""
    test = metrics.get("test") or {}
    valid = metrics.get("valid") or {}
    cfg = metrics["config"]
    model = cfg["model"]
    name = repo_id or "imdb-bilstm"
    front = ["---", "license: mit", "language: en", "library_name: imdb-bilstm", "pipeline_tag: text-classification",
             "tags:", "- sentiment-analysis", "- lstm", "- imdb", "- pytorch_model_hub_mixin", "datasets:",
             "- stanfordnlp/imdb"]
    if "accuracy" in test:
        front += ["model-index:", f"- name: {name}", "  results:", "  - task:", "      type: text-classification",
                  "      name: Sentiment analysis", "    dataset:", "      type: stanfordnlp/imdb", "      name: IMDB",
                  "      split: test", "    metrics:", "    - type: accuracy", f"      value: {test['accuracy']:.4f}",
                  "    - type: loss", f"      value: {test['loss']:.4f}"]
    front.append("---")
    epochs = metrics.get("history", [])
    secs = [row["seconds"] for row in epochs]
    lines = [
        f"# {name}",
        "",
        f"A bidirectional LSTM ({model['num_layers']} layer(s), hidden size {model['hidden_size']}, "
        f"{model['pooling']} pooling) over GloVe 6B {model['embedding_dim']}d embeddings, trained on the IMDB "
        "Large Movie Review Dataset (Maas et al., 2011) to tell positive from negative reviews. "
        "Made with the `imdb-bilstm` project's `train.py`; load it with `sentiment.load_model`.",
        "",
        "| figure | value |",
        "| --- | --- |",
    ]
    if test:
        lines.append(f"| test accuracy ({test['reviews']:,} reviews) | {100 * test['accuracy']:.2f}% |")
        lines.append(f"| test loss | {test['loss']:.4f} |")
    if valid:
        lines.append(f"| validation accuracy (best epoch, {valid['reviews']:,} reviews) | "
                     f"{100 * valid['accuracy']:.2f}% |")
    lines += [
        f"| epochs run (best) | {len(epochs)} ({metrics.get('best_epoch')}) |",
        f"| seconds per epoch | {sum(secs) / max(len(secs), 1):.1f} on {metrics.get('device')} |",
        f"| vocabulary | {metrics.get('vocab_size')} tokens, GloVe covers {100 * metrics['glove']['vocab_share']:.1f}% "
        f"of it and {100 * metrics['glove']['token_share']:.1f}% of training tokens |",
        "",
        "Tokens are spaCy's English tokenizer (`spacy.blank(\"en\")`), lower-cased, after removing HTML markup. "
        + length_sentence(cfg) + split_sentence(cfg) + training_sentence(cfg, metrics.get("teachers")),
        "",
        "## Limitations",
        "",
        "- It learned from whole reviews, half of them longer than 200 tokens. On a sentence or two it is less "
        "often right, and often far more confident than it should be.",
        "- It learned each review's label, not each phrase's meaning: a phrase gets the label of the reviews it "
        "sits in. IMDB's reviews say \"not bad\" mostly in negative reviews (\"the acting was not bad, but ...\"), "
        "so a negated negative (\"not bad at all\") reads as negative. Sarcasm fools it too.",
        "- It knows English movie reviews of IMDB's kind. Misspelt words and other kinds of text are outside what it "
        "saw.",
        "- Swapping an identity word (a religion, nationality, race or sexuality) in a neutral sentence can change "
        "its verdict: the project's README reports how often, for the shipped model.",
        "",
        "## Training configuration",
        "",
        "```json",
        json.dumps(cfg, indent=2),
        "```",
        "",
    ]
    return "\n".join(front + [""] + lines)


def length_sentence(cfg: dict) -> str:
    model = cfg["model"]
    read = model.get("max_tokens") or 0
    trained = cfg.get("train_max_tokens") or read
    if read:
        head = head_length(read, model.get("truncate", "head"))
        kept = " and ".join(([f"first {head:,}"] if head else []) + ([f"last {read - head:,}"] if read > head else []))
        out = f"It reads at most {read:,} tokens of a review (of a longer one, its {kept})"
    else:
        out = "It reads whole reviews"
    return out + (f"; it was trained on reviews cut to {trained:,} tokens. " if trained != read else ". ")


def split_sentence(cfg: dict) -> str:
    share = f"{100 * cfg['valid_fraction']:g}%"
    if cfg.get("valid_split") == "movie":
        return (f"The validation split is whole movies, about {share} of the training reviews, none of whose movies "
                "has a review in training; the test split was scored once, at the end.")
    return f"The validation split is {share} of the training reviews; the test split was scored once, at the end."


def training_sentence(cfg: dict, recorded_teachers: list | None = None) -> str:
    adv, teachers = cfg.get("adversarial") or {}, (cfg.get("distill") or {}).get("teachers")
    out = ""
    if adv.get("at_epsilon"):
        out += (f" Trained with adversarial training on the normalised word embeddings (Miyato et al. 2017), "
                f"epsilon {adv['at_epsilon']:g}" + (f", and virtual adversarial training, epsilon "
                                                    f"{adv['vat_epsilon']:g}" if adv.get("vat_epsilon") else "") + ".")
    if teachers:
        out += (f" Distilled from {len(teachers)} trained model(s) (Hinton et al. 2015): with each batch it also "
                f"learned their mean probability on {adv['unlabelled_batch_size']} of IMDB's unlabelled reviews.")
        if recorded_teachers:  # runs before train.py recorded them name the teachers only by path
            hashes = ", ".join(f"sha256 {t['sha256'][:16]}..." for t in recorded_teachers)
            out += f" The teachers' weights: {hashes}."
    return out
